import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { DevicesConfig } from '../vocabulary.js';
import type { Logger } from '../logging/logger.js';
import { deadlineIn } from '../zitadel/deadline.js';
import { isCrossSiteRequest } from './crossSite.js';
import type { DevicesAudit } from './devicesAudit.js';
import { DevicesLoginError, type DevicesOidc } from '../zitadel/devicesOidc.js';
import { signOutAnswer, type DeviceViewer, type DevicesService } from './devicesService.js';
import { isDeviceRef } from './deviceRef.js';
import type { KeyRing } from './keyRing.js';
import { messagesFor, pickLanguage, type Language, type ProblemCode } from './messages.js';
import {
  LOGIN_STATE_COOKIE,
  PAGE_COOKIE,
  clearCookieHeader,
  cookieHeader,
  csrfMatches,
  openLoginState,
  openPageSession,
  readCookie,
  sealLoginState,
  sealPageSession,
  type PageSession,
} from './pageSession.js';
import { DEVICES_CSS } from './pageStyle.js';
import { renderDevicesPage, renderProblemPage } from './renderPage.js';
import { devicesSecurityHeaders } from './securityHeaders.js';
import { unexpectedFailure } from './unexpectedFailure.js';
import { readTicket } from './tickets.js';

export interface DevicesRouteDeps {
  readonly devices: DevicesConfig;
  readonly service: DevicesService;
  readonly oidc: DevicesOidc;
  readonly ring: KeyRing;
  readonly audit: DevicesAudit;
  /** How long one page request may wait on ZITADEL in all. */
  readonly deadlineMs: number;
  readonly now: () => number;
  readonly logger: Logger;
}

// The sign-in round trip to ZITADEL (a password, a second factor) must fit in this.
const LOGIN_STATE_TTL_MS = 10 * 60_000;
// Only the two fields the forms post, and nothing large.
const readForm = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 4 });

/** The notice after a sign-out, from the redirect's query: only our own codes and a bounded count. */
function noticeOf(req: Request, lang: Language): string | undefined {
  const text = messagesFor(lang);
  if (req.query.done === 'signed_out') return text.deviceSignedOut;
  if (req.query.done !== 'signed_out_others') return undefined;
  const count = typeof req.query.n === 'string' && /^[0-9]{1,4}$/.test(req.query.n) ? Number(req.query.n) : 0;
  return text.signedOutOthers(count);
}

/** What went wrong on the page, as the status and the text code the problem page shows. */
class PageProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
  ) {
    super(code);
  }
}

/**
 * `/devices`: the "your devices" page (server-rendered HTML, no script), its ZITADEL sign-in (OIDC code + PKCE),
 * the refusal-ticket entry and the two sign-out forms. Who the viewer is comes only from ZITADEL's ID token or from
 * a ticket the limiter signed; both end up in the page's own short-lived signed cookie.
 */
export function devicesPageRoutes(deps: DevicesRouteDeps): Router {
  const { devices, service, oidc, ring, audit, now } = deps;
  const publicUrl = new URL(devices.publicUrl);
  const basePath = publicUrl.pathname.replace(/\/$/, '');
  const cookiePath = `${basePath}/devices`;
  const pageUrl = `${basePath}/devices`;
  const router = express.Router();
  router.use(devicesSecurityHeaders());

  const sessionOf = (req: Request): Promise<PageSession | undefined> => {
    const value = readCookie(req.headers.cookie, PAGE_COOKIE);
    return value === undefined ? Promise.resolve(undefined) : openPageSession(ring, value, now());
  };
  const viewerOf = (session: PageSession): DeviceViewer => ({
    userId: session.userId,
    via: session.via,
    sessionId: session.sessionId,
    fingerprintId: session.fingerprintId,
  });
  const problem = (req: Request, res: Response, status: number, code: ProblemCode) => {
    res
      .status(status)
      .type('html')
      .send(
        renderProblemPage({ lang: pickLanguage(req.headers['accept-language']), status, code, basePath }),
      );
  };
  /** Wraps a handler: a PageProblem or a ZITADEL failure becomes a problem page, never a 500 with a stack. */
  const page =
    (handler: (req: Request, res: Response) => Promise<void>): RequestHandler =>
    async (req, res) => {
      try {
        await handler(req, res);
      } catch (error) {
        if (error instanceof PageProblem) return problem(req, res, error.status, error.code);
        if (error instanceof DevicesLoginError)
          return problem(req, res, error.code === 'login_failed' ? 400 : 502, error.code);
        const failure = unexpectedFailure(error, deps.logger, 'devices page');
        problem(req, res, failure.status, failure.code);
      }
    };

  async function startLogin(res: Response): Promise<void> {
    const { authorizationUrl, state } = await oidc.beginLogin();
    const sealed = await sealLoginState(ring, state, LOGIN_STATE_TTL_MS, now());
    res.setHeader(
      'Set-Cookie',
      cookieHeader(LOGIN_STATE_COOKIE, sealed, {
        path: cookiePath,
        maxAgeSeconds: LOGIN_STATE_TTL_MS / 1000,
        secure: true,
      }),
    );
    res.redirect(303, authorizationUrl.href);
  }

  /** Sets the page cookie for this viewer and sends the browser to the page. */
  async function enter(res: Response, viewer: Omit<PageSession, 'csrf' | 'expiresAtMs'>, ttlMs: number) {
    const { value } = await sealPageSession(ring, viewer, ttlMs, now());
    res.setHeader('Set-Cookie', [
      cookieHeader(PAGE_COOKIE, value, {
        path: cookiePath,
        maxAgeSeconds: Math.floor(ttlMs / 1000),
        secure: true,
      }),
      clearCookieHeader(LOGIN_STATE_COOKIE, cookiePath),
    ]);
    res.redirect(303, pageUrl);
  }

  router.get('/style.css', (_req, res) => {
    res.type('css').send(DEVICES_CSS);
  });

  router.get(
    '/',
    page(async (req, res) => {
      const session = await sessionOf(req);
      if (session === undefined) return startLogin(res);
      const viewer = viewerOf(session);
      const deadline = deadlineIn(deps.deadlineMs, now());
      const shown = await service.list(viewer, deadline);
      const standing = viewer.via === 'ticket' ? await service.standing(viewer, deadline) : undefined;
      audit.counted('view', viewer.via, 'ok');
      const lang = pickLanguage(req.headers['accept-language']);
      res.type('html').send(
        renderDevicesPage({
          lang,
          devices: shown,
          csrf: session.csrf,
          via: session.via === 'ticket' ? 'ticket' : 'oidc',
          limit: standing?.limit === 'unlimited' ? undefined : standing?.limit,
          notice: noticeOf(req, lang),
          nowMs: now(),
          basePath,
        }),
      );
    }),
  );

  router.get(
    '/callback',
    page(async (req, res) => {
      const sealed = readCookie(req.headers.cookie, LOGIN_STATE_COOKIE);
      const state = sealed === undefined ? undefined : await openLoginState(ring, sealed, now());
      // No state: the sign-in was started in another browser, took too long, or this is a forged callback.
      if (state === undefined) throw new PageProblem(400, 'login_failed');
      const callbackUrl = new URL(`${devices.publicUrl}/devices/callback`);
      callbackUrl.search = new URL(req.originalUrl, 'http://callback.invalid').search;
      const user = await oidc.finishLogin(callbackUrl, state).catch((error: unknown) => {
        audit.counted('login', 'oidc', error instanceof DevicesLoginError ? error.code : 'failed');
        throw error;
      });
      audit.record({ action: 'login', via: 'oidc', userId: user.userId, outcome: 'ok' });
      await enter(
        res,
        {
          userId: user.userId,
          via: 'oidc',
          ...(user.sessionId === undefined ? {} : { sessionId: user.sessionId }),
        },
        devices.sessionTtlMs,
      );
    }),
  );

  router.get(
    '/ticket',
    page(async (req, res) => {
      const token = typeof req.query.t === 'string' ? req.query.t : '';
      const read = await readTicket(ring, token, now());
      if (!read.ok) {
        const expired = read.reason === 'expired';
        audit.counted('ticket_opened', 'ticket', expired ? 'ticket_expired' : 'ticket_invalid');
        throw new PageProblem(expired ? 410 : 400, expired ? 'ticket_expired' : 'ticket_invalid');
      }
      const { ticket } = read;
      // The page lives no longer than the ticket it came from. The key ring lets a ticket pass a few seconds past
      // its expiry (clock skew between replicas); such a ticket has no page life left, so it is expired here.
      const ttlMs = Math.min(devices.sessionTtlMs, ticket.expiresAtMs - now());
      if (ttlMs < 1000) {
        audit.counted('ticket_opened', 'ticket', 'ticket_expired');
        throw new PageProblem(410, 'ticket_expired');
      }
      audit.record({ action: 'ticket_opened', via: 'ticket', userId: ticket.userId, outcome: 'ok' });
      await enter(
        res,
        {
          userId: ticket.userId,
          via: 'ticket',
          attemptSessionId: ticket.attemptSessionId,
          ...(ticket.fingerprintId === undefined ? {} : { fingerprintId: ticket.fingerprintId }),
        },
        ttlMs,
      );
    }),
  );

  /** The checks every form POST passes first: same site, a live page cookie, and its CSRF token. */
  async function formSession(req: Request): Promise<PageSession> {
    if (isCrossSiteRequest({ method: req.method, headers: req.headers }, publicUrl.origin))
      throw new PageProblem(403, 'cross_site');
    const session = await sessionOf(req);
    if (session === undefined) throw new PageProblem(401, 'session_expired');
    const body: unknown = req.body;
    const csrf =
      typeof body === 'object' && body !== null ? (body as Record<string, unknown>).csrf : undefined;
    if (!csrfMatches(session, csrf)) throw new PageProblem(403, 'csrf_failed');
    return session;
  }

  const signOutForm = (target: (req: Request) => { ref: string } | 'others', done: string): RequestHandler =>
    page(async (req, res) => {
      const session = await formSession(req);
      const viewer = viewerOf(session);
      const action = done === 'signed_out' ? 'sign_out' : 'sign_out_others';
      const chosen = target(req);
      // A ticket ends one device at a time, and only while at the limit: a leaked one cannot end them all.
      if (chosen === 'others' && viewer.via === 'ticket') throw new PageProblem(403, 'ticket_one_device');
      const result = await service.signOut(viewer, chosen, deadlineIn(deps.deadlineMs, now()));
      audit.signOut(action, viewer, result);
      const answer = signOutAnswer(result);
      if ('problem' in answer) throw new PageProblem(answer.problem.status, answer.problem.code);
      res.redirect(
        303,
        done === 'signed_out'
          ? `${pageUrl}?done=${done}`
          : `${pageUrl}?done=${done}&n=${answer.done.devices.length}`,
      );
    });

  router.post(
    '/sign-out',
    readForm,
    signOutForm((req) => {
      const ref: unknown = (req.body as Record<string, unknown> | undefined)?.device;
      if (!isDeviceRef(ref)) throw new PageProblem(404, 'device_not_found');
      return { ref };
    }, 'signed_out'),
  );
  router.post(
    '/sign-out-others',
    readForm,
    signOutForm(() => 'others', 'signed_out_others'),
  );
  return router;
}
