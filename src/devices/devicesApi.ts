import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Logger } from '../logging/logger.js';
import { deadlineIn } from '../zitadel/deadline.js';
import type { DevicesAudit } from './devicesAudit.js';
import { DevicesLoginError, type DevicesOidc } from '../zitadel/devicesOidc.js';
import { signOutAnswer, type DeviceViewer, type DevicesService } from './devicesService.js';
import type { ShownDevice } from './deviceList.js';
import { isDeviceRef } from './deviceRef.js';
import { messagesFor, pickLanguage, type ProblemCode } from './messages.js';
import { devicesSecurityHeaders } from './securityHeaders.js';
import { unexpectedFailure } from './unexpectedFailure.js';

export interface DevicesApiDeps {
  readonly service: DevicesService;
  readonly oidc: DevicesOidc;
  readonly audit: DevicesAudit;
  readonly deadlineMs: number;
  readonly now: () => number;
  readonly logger: Logger;
}

// ZITADEL's opaque access tokens and its JWT access tokens are well under this, in these characters.
const ACCESS_TOKEN = /^[A-Za-z0-9._~+/=-]{16,4096}$/;

class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
  ) {
    super(code);
  }
}

const isoTime = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** A device as the API shows it: the page's facts, times as RFC 3339, never a session id or fingerprint. */
function deviceJson(device: ShownDevice) {
  return {
    ref: device.ref,
    browser: device.browser ?? null,
    system: device.system ?? null,
    ip: device.ip ?? null,
    firstSignIn: isoTime(device.firstSignInMs),
    lastSignIn: isoTime(device.lastSignInMs),
    sessions: device.sessionCount,
    current: device.current,
  };
}

/**
 * `/api/devices`: the page's devices as JSON for apps and custom login UIs, authorised by the user's own ZITADEL
 * access token, which ZITADEL itself checks (introspection with the devices app's credentials) at every request.
 */
export function devicesApiRoutes(deps: DevicesApiDeps): Router {
  const { service, oidc, audit, now } = deps;
  const router = express.Router();
  router.use(devicesSecurityHeaders());

  async function viewerOf(req: Request): Promise<DeviceViewer> {
    // The scheme is case-insensitive (RFC 9110 11.1): some clients send "bearer".
    const match = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '');
    const token = match?.[1];
    if (token === undefined || !ACCESS_TOKEN.test(token)) throw new ApiProblem(401, 'token_missing');
    const userId = await oidc.introspect(token);
    if (userId === undefined) throw new ApiProblem(401, 'token_invalid');
    return { userId, via: 'api' };
  }

  const answer =
    (handler: (req: Request, res: Response) => Promise<void>): RequestHandler =>
    async (req, res) => {
      try {
        await handler(req, res);
      } catch (error) {
        let status: number;
        let code: ProblemCode;
        if (error instanceof ApiProblem) ({ status, code } = error);
        else if (error instanceof DevicesLoginError)
          // Introspection refused our client: the limiter is misconfigured, not the caller.
          [status, code] = [502, 'zitadel_unavailable'];
        else ({ status, code } = unexpectedFailure(error, deps.logger, 'devices API'));
        if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
        res.status(status).json({
          error: code,
          message: messagesFor(pickLanguage(req.headers['accept-language'])).problems[code].message,
        });
      }
    };

  router.get(
    '/',
    answer(async (req, res) => {
      const viewer = await viewerOf(req);
      const devices = await service.list(viewer, deadlineIn(deps.deadlineMs, now()));
      audit.counted('view', 'api', 'ok');
      res.json({ devices: devices.map(deviceJson) });
    }),
  );

  router.post(
    '/:ref/sign-out',
    answer(async (req, res) => {
      const viewer = await viewerOf(req);
      const ref = req.params.ref;
      if (!isDeviceRef(ref)) throw new ApiProblem(404, 'device_not_found');
      const result = await service.signOut(viewer, { ref }, deadlineIn(deps.deadlineMs, now()));
      audit.signOut('sign_out', viewer, result);
      const answer = signOutAnswer(result);
      if ('problem' in answer) throw new ApiProblem(answer.problem.status, answer.problem.code);
      res.json({ signedOut: answer.done.devices.map(deviceJson), deleted: answer.done.deleted });
    }),
  );
  return router;
}
