import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../logging/logger.js';
import { PayloadRejectedError } from '../webhook/decodePayload.js';
import { InvalidPayloadError } from '../webhook/parseSessionWebhook.js';
import { ZitadelError, zitadelFailureFields } from '../zitadel/errors.js';
import { failureKindOf, zitadelFailureCode } from '../zitadel/failureKind.js';
import { HttpProblem } from './httpProblem.js';

/** What an error is answered with: a status and a terse code, never any of the caller's input. */
export interface ErrorAnswer {
  readonly status: number;
  readonly code: string;
}

// body-parser's error types (see its README), as the terse codes we answer with.
const BODY_PARSER_ERRORS: Readonly<Record<string, ErrorAnswer>> = {
  'entity.too.large': { status: 413, code: 'payload_too_large' },
  // The devices page's forms (express.urlencoded with a parameterLimit): more fields than they have.
  'parameters.too.many': { status: 413, code: 'too_many_parameters' },
  'encoding.unsupported': { status: 415, code: 'unsupported_content_encoding' },
  'charset.unsupported': { status: 415, code: 'unsupported_charset' },
  'request.aborted': { status: 400, code: 'request_aborted' },
  'request.size.invalid': { status: 400, code: 'request_size_mismatch' },
  'stream.encoding.set': { status: 500, code: 'internal_error' },
};

function bodyParserErrorOf(error: unknown): ErrorAnswer | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error) || typeof error.type !== 'string')
    return undefined;
  return BODY_PARSER_ERRORS[error.type];
}

/** The status and terse code an error is answered with. Pure: also what the webhook metrics count. */
export function answerFor(error: unknown): ErrorAnswer {
  if (error instanceof HttpProblem) return { status: error.status, code: error.code };
  if (error instanceof InvalidPayloadError) return { status: 400, code: error.code };
  if (error instanceof PayloadRejectedError) return { status: error.status, code: error.code };
  const bodyError = bodyParserErrorOf(error);
  if (bodyError !== undefined) return bodyError;
  return failureAnswer(error);
}

/** Anything else thrown: ZITADEL failing us is a bad gateway (502), anything else our own error (500). */
function failureAnswer(error: unknown): ErrorAnswer {
  const code = zitadelFailureCode(failureKindOf(error));
  return code === undefined ? { status: 500, code: 'internal_error' } : { status: 502, code };
}

/**
 * The one place where errors become answers. Known errors map to a status and a code; anything else is a bare
 * 500 with a log line carrying the request id. Never echoes an error message to the caller.
 */
export function errorHandler(fallbackLogger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    // The request's own logger stamps its request id, like every other line of this request.
    const logger = (res.locals.logger as Logger | undefined) ?? fallbackLogger;
    const { status, code } = answerFor(error);
    if (error instanceof PayloadRejectedError) {
      logger.warn('webhook refused', { reason: error.code });
    } else if (error instanceof ZitadelError) {
      logger.error('ZITADEL call failed', zitadelFailureFields(error));
    } else if (code === 'internal_error') {
      logger.error('unexpected error', {
        errorName: error instanceof Error ? error.name : typeof error,
        path: req.path,
      });
    }
    const expected = error instanceof HttpProblem ? error.expected : undefined;
    res.status(status).json(expected === undefined ? { error: code } : { error: code, expected });
  };
}
