import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../logging/logger.js';
import { InvalidPayloadError } from '../webhook/parseSessionWebhook.js';
import { ZitadelError } from '../zitadel/errors.js';
import { HttpProblem } from './httpProblem.js';

// body-parser's error types (see its README), as the terse codes we answer with.
const BODY_PARSER_ERRORS: Readonly<Record<string, { status: number; code: string }>> = {
  'entity.too.large': { status: 413, code: 'payload_too_large' },
  'encoding.unsupported': { status: 415, code: 'unsupported_content_encoding' },
  'charset.unsupported': { status: 415, code: 'unsupported_charset' },
  'request.aborted': { status: 400, code: 'request_aborted' },
  'request.size.invalid': { status: 400, code: 'request_size_mismatch' },
  'stream.encoding.set': { status: 500, code: 'internal_error' },
};

function bodyParserErrorOf(error: unknown): { status: number; code: string } | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error) || typeof error.type !== 'string') return undefined;
  return BODY_PARSER_ERRORS[error.type];
}

/** ZITADEL could not be reached in time (retry later) versus refused us (fix the credential or its roles). */
export function zitadelErrorCode(error: ZitadelError): string {
  if (error.kind === 'http' && error.status !== undefined && error.status < 500 && error.status !== 429 && error.status !== 408) {
    return 'zitadel_rejected';
  }
  if (error.kind === 'invalid_response') return 'zitadel_invalid_response';
  return 'zitadel_unavailable';
}

/**
 * The one place where errors become answers. Known errors map to a status and a code; anything else is a bare
 * 500 with a log line carrying the request id. Never echoes an error message to the caller.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const requestId = typeof res.locals.requestId === 'string' ? res.locals.requestId : undefined;
    const bodyError = bodyParserErrorOf(error);
    let status: number;
    let code: string;
    if (error instanceof HttpProblem) {
      ({ status, code } = error);
    } else if (error instanceof InvalidPayloadError) {
      status = 400;
      code = error.code;
    } else if (bodyError !== undefined) {
      ({ status, code } = bodyError);
    } else if (error instanceof ZitadelError) {
      status = 502;
      code = zitadelErrorCode(error);
      logger.error('ZITADEL call failed', {
        requestId,
        operation: error.operation,
        failure: error.kind,
        status: error.status,
        grpcCode: error.grpcCode,
      });
    } else {
      status = 500;
      code = 'internal_error';
      logger.error('unexpected error', { requestId, errorName: error instanceof Error ? error.name : typeof error, path: req.path });
    }
    res.status(status).json({ error: code });
  };
}
