import { signZitadelPayload } from '../signature/signZitadelPayload.js';

/**
 * One signed request that the limiter's route recognises and ignores: a JSON envelope for a method it never
 * enforces on, signed like ZITADEL signs (`ZITADEL-Signature: t=…,v1=HMAC-SHA256(key, "t." + body)`). A limiter
 * that holds the key answers `200 {"outcome":"ignored","reason":"other_method"}` and calls no ZITADEL API.
 *
 * The probe is always plain JSON: only ZITADEL can sign a JWT payload. A limiter with REQUIRE_PAYLOAD_TYPE=jwt|jwe
 * checks the HMAC first and then refuses the JSON with `400 payload_type_required`; that answer proves the same
 * things (route reached, signing key accepted), so it counts as a success that also tells the required form.
 */
export const PROBE_METHOD = '/zitadel_session_limiter.Probe/Probe';

export type ProbeVerdict =
  /** Route reached, HMAC accepted. */
  | 'ok'
  | 'signature_refused'
  | 'clock_skew'
  | 'not_the_route'
  | 'redirected'
  | 'unexpected_answer'
  | 'unreachable';

export interface ProbeResult {
  readonly verdict: ProbeVerdict;
  /** The HTTP status, when there was an answer. */
  readonly status?: number;
  /** The answer's `outcome` or `error` code, when it is a plain code. */
  readonly code?: string | undefined;
  /** The limiter refused plain JSON after checking the HMAC: it requires JWT or JWE payloads. */
  readonly requiresSignedPayload?: boolean;
  /** One line: what happened. */
  readonly summary: string;
  /** What to do about it; absent when nothing is wrong. */
  readonly fix?: string;
}

export interface ProbeOptions {
  readonly endpoint: string;
  /** The target's signing key (the one ZITADEL signs with). Never printed. */
  readonly signingKey: string;
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

const CODE = /^[a-z_]{1,60}$/;

/** The probe's body and header; exported for tests. */
export function probeRequest(signingKey: string, nowMs: number): { body: string; signature: string } {
  const body = JSON.stringify({
    fullMethod: PROBE_METHOD,
    instanceID: 'zitadel-session-limiter-probe',
    userID: 'zitadel-session-limiter-probe',
    request: {},
  });
  return { body, signature: signZitadelPayload(body, signingKey, Math.floor(nowMs / 1000)) };
}

function networkReason(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return 'timeout';
  const cause = error instanceof Error ? (error as { cause?: unknown }).cause : undefined;
  const code =
    typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined;
  return code !== undefined && /^[A-Z0-9_]{1,40}$/.test(code) ? code : 'network error';
}

async function codeOf(response: Response): Promise<string | undefined> {
  try {
    const body = (await response.json()) as { outcome?: unknown; error?: unknown };
    const code = typeof body.outcome === 'string' ? body.outcome : body.error;
    return typeof code === 'string' && CODE.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

/** Sends the probe and says what the answer means. Never throws; never prints the key or the answer's body. */
export async function probeEndpoint(options: ProbeOptions): Promise<ProbeResult> {
  const { endpoint } = options;
  const { body, signature } = probeRequest(options.signingKey, (options.now ?? Date.now)());
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'ZITADEL-Signature': signature },
      body,
      // ZITADEL's client follows redirects and turns the POST into a GET: a redirect is a finding, not a path.
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    });
  } catch (error) {
    const reason = networkReason(error);
    return {
      verdict: 'unreachable',
      summary: `${endpoint} could not be reached from here (${reason})`,
      fix: 'Check that the limiter runs and that the URL, DNS and TLS certificate are right. ZITADEL must reach it too (a probe from here does not prove that).',
    };
  }
  const { status } = response;
  if (status >= 300 && status < 400) {
    await response.body?.cancel();
    return {
      verdict: 'redirected',
      status,
      summary: `${endpoint} answered a redirect (HTTP ${status})`,
      fix: 'Register the final URL: ZITADEL follows redirects as GET requests, which the limiter cannot serve.',
    };
  }
  const code = await codeOf(response);
  const answered = `HTTP ${status}${code === undefined ? '' : ` ${code}`}`;
  if (status === 200 && code === 'ignored')
    return { verdict: 'ok', status, code, summary: `the limiter answered the signed probe (${answered})` };
  if (status === 400 && code === 'payload_type_required') {
    return {
      verdict: 'ok',
      status,
      code,
      requiresSignedPayload: true,
      summary: `the limiter accepted the probe's signature and requires JWT or JWE payloads (${answered})`,
    };
  }
  if (status === 401 && code === 'signature_mismatch') {
    return {
      verdict: 'signature_refused',
      status,
      code,
      summary: `the limiter refused the probe's signature (${answered})`,
      fix: "The limiter's SIGNING_KEY does not contain this target's signing key: set it to the key setup printed (comma-separated beside the old one during a rotation).",
    };
  }
  if (status === 401 && (code === 'signature_expired' || code === 'signature_from_future')) {
    return {
      verdict: 'clock_skew',
      status,
      code,
      summary: `the limiter refused the probe's timestamp (${answered})`,
      fix: "This machine's clock and the limiter's disagree by minutes: synchronise both with NTP (ZITADEL's clock matters too).",
    };
  }
  if (status === 404 || status === 405) {
    return {
      verdict: 'not_the_route',
      status,
      code,
      summary: `${endpoint} is not the limiter's webhook route (${answered})`,
      fix: 'The endpoint must be the limiter URL ending in /session/manage.',
    };
  }
  return {
    verdict: 'unexpected_answer',
    status,
    code,
    summary: `${endpoint} answered the probe unlike the limiter (${answered})`,
    fix: 'Check that the URL reaches the limiter itself; a proxy in front must pass POST bodies and the ZITADEL-Signature header unchanged.',
  };
}
