import { nextZitadelId, type FakeSession, type FakeZitadel } from './fakeZitadel.js';
import { goJson, signatureHeader } from './webhooks.js';

/**
 * ZITADEL's Session API as a login UI calls it, with the limiter registered as a `restWebhook` target with
 * `interruptOnError: true` on the responses of CreateSession and SetSession — what `setup` does for deny-new.
 * It plays what a real ZITADEL v4.13.1 does (FACTS.md section 2, [real]): the call commits first (the session is
 * written to the fake), then the response condition posts the signed body to the target; a target that cannot be
 * reached, or answers non-2xx, fails the caller's call with HTTP 500 and a message naming the target's URL — and the
 * committed session stays. A 2xx body with `forwardedStatusCode` fails it with that status (403 PermissionDenied)
 * and `forwardedErrorMessage`. Otherwise CreateSession answers 201 and SetSession 200.
 */

const SESSION_SERVICE = '/zitadel.session.v2.SessionService';
const LOGIN_CLIENT = 'login-client-service-account';

export interface SessionApiAnswer {
  readonly status: number;
  /** The session the call created (also when the call failed: it was committed first). */
  readonly sessionId?: string;
  /** The error message the login UI receives; undefined on success. */
  readonly message?: string;
}

export interface CreateSessionCall {
  /** `checks.user`: by id, or by login name (Login V2's username step). */
  readonly user: { readonly userId: string } | { readonly loginName: string; readonly userId: string };
  /** `checks.password`: verified (a right password) when true. */
  readonly password?: boolean;
  /** `userAgent.fingerprintId`; none when undefined (a custom login UI that sends none). */
  readonly fingerprintId?: string | undefined;
  /** `lifetime` in ms (Login V2 always sends one); none: the session never expires. */
  readonly lifetimeMs?: number | undefined;
  /**
   * `userAgent` besides the fingerprint, as Login V2 sends it (the fake login page passes the browser's). Without
   * it, a made-up Firefox on Linux at 203.0.113.7 is sent when a fingerprint is.
   */
  readonly userAgent?: {
    readonly ip: string;
    readonly description: string;
    readonly header: readonly string[];
  };
}

export interface FakeSessionExecutionsOptions {
  readonly zitadel: FakeZitadel;
  /** The target's endpoint, path included (read at every call, so a test can take the limiter down and back). */
  readonly targetUrl: () => string;
  readonly signingKey: string;
  /** ZITADEL's clock: signatures and session dates (share it with the fake ZITADEL and the limiter). */
  readonly now: () => number;
}

export class FakeSessionExecutions {
  /** Every body posted to the target, in order (method and session id, for assertions). */
  readonly posted: { readonly method: 'CreateSession' | 'SetSession'; readonly sessionId: string }[] = [];

  constructor(private readonly options: FakeSessionExecutionsOptions) {}

  async createSession(call: CreateSessionCall): Promise<SessionApiAnswer> {
    const { zitadel, now } = this.options;
    const createdAt = new Date(now());
    const session = zitadel.addSession({
      id: nextZitadelId(),
      userId: call.user.userId,
      creationDate: createdAt,
      factors: call.password === true ? ['password'] : [],
      fingerprintId: call.fingerprintId ?? null,
      ...('loginName' in call.user ? { loginName: call.user.loginName } : {}),
      ...(call.userAgent === undefined
        ? {}
        : {
            userAgentIp: call.userAgent.ip,
            userAgentDescription: call.userAgent.description,
            userAgentHeader: call.userAgent.header,
          }),
      expirationDate:
        call.lifetimeMs === undefined ? undefined : new Date(createdAt.getTime() + call.lifetimeMs),
    });
    const checks: Record<string, unknown> = {
      user: 'loginName' in call.user ? { loginName: call.user.loginName } : { userId: call.user.userId },
      ...(call.password === true ? { password: { password: 'S3cret!<pw>' } } : {}),
    };
    const request = {
      checks,
      ...(call.fingerprintId === undefined
        ? {}
        : {
            userAgent: {
              fingerprintId: call.fingerprintId,
              ip: call.userAgent?.ip ?? '203.0.113.7',
              description: call.userAgent?.description ?? 'Firefox on Linux',
              ...(call.userAgent === undefined
                ? {}
                : { header: { 'user-agent': { values: call.userAgent.header } } }),
            },
          }),
      ...(call.lifetimeMs === undefined ? {} : { lifetime: `${Math.round(call.lifetimeMs / 1000)}s` }),
    };
    const body = this.#envelope('CreateSession', request, {
      details: this.#details(session, '1'),
      sessionId: session.id,
      sessionToken: 'tok_do_not_log_me',
    });
    const failure = await this.#respondCondition('CreateSession', session.id, body);
    return failure === undefined
      ? { status: 201, sessionId: session.id }
      : { ...failure, sessionId: session.id };
  }

  async setSession(sessionId: string, checks: { readonly password: true }): Promise<SessionApiAnswer> {
    const session = this.options.zitadel.sessions.get(sessionId);
    if (session === undefined || session.terminatedAt !== undefined)
      return { status: 404, message: 'Errors.Session.NotFound (QUERY-SJ2s3)' };
    if (checks.password) this.options.zitadel.checkFactors(sessionId, ['password']);
    const body = this.#envelope(
      'SetSession',
      { sessionId, checks: { password: { password: 'S3cret!<pw>' } } },
      { details: this.#details(session, '2'), sessionToken: 'tok_do_not_log_me' },
    );
    const failure = await this.#respondCondition('SetSession', sessionId, body);
    return failure ?? { status: 200, sessionId };
  }

  #details(session: FakeSession, sequence: string) {
    return { sequence, changeDate: session.changeDate.toISOString(), resourceOwner: 'instance-1' };
  }

  #envelope(method: string, request: unknown, response: unknown): string {
    return goJson({
      fullMethod: `${SESSION_SERVICE}/${method}`,
      instanceID: 'instance-1',
      orgID: 'org-1',
      userID: LOGIN_CLIENT,
      request,
      response,
      headers: { 'X-Forwarded-For': ['203.0.113.7, 127.0.0.1'] },
    });
  }

  /** Posts the response condition; undefined when the call stands, else the error the caller gets. */
  async #respondCondition(
    method: 'CreateSession' | 'SetSession',
    sessionId: string,
    body: string,
  ): Promise<{ status: number; message: string } | undefined> {
    const url = this.options.targetUrl();
    this.posted.push({ method, sessionId });
    let answer: Response;
    try {
      answer = await fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'ZITADEL-Signature': signatureHeader(
            body,
            this.options.signingKey,
            Math.floor(this.options.now() / 1000),
          ),
        },
        body,
      });
    } catch {
      return { status: 500, message: `Post "${url}": dial tcp: connect: connection refused` };
    }
    const text = await answer.text();
    if (answer.status < 200 || answer.status > 299)
      return { status: 500, message: `${url}: unexpected status ${answer.status}` };
    let parsed: { forwardedStatusCode?: number; forwardedErrorMessage?: string } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      // A 2xx body that is not JSON is ignored by a restWebhook target.
    }
    if (parsed.forwardedStatusCode !== undefined)
      return { status: parsed.forwardedStatusCode, message: parsed.forwardedErrorMessage ?? '' };
    return undefined;
  }
}
