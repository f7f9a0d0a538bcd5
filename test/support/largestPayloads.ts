import { goJson } from './webhooks.js';

/**
 * The largest webhook bodies ZITADEL posts for sessions, built field by field from the v2 protos
 * (`session/v2/session_service.proto`: Checks, RequestChallenges, UserAgent, metadata; `ContextInfoRequest` /
 * `ContextInfoResponse` in `internal/execution`; the event envelope of `internal/repository/execution/queue.go`),
 * every optional field present and every value generously long. MAX_BODY_BYTES's default is set from their size.
 */

const SESSION_SERVICE = '/zitadel.session.v2.SessionService';
const b64 = (bytes: number, seed = 'x') => Buffer.alloc(bytes, seed).toString('base64url');
const digits = (n: number) => '3'.repeat(n);

/** A browser's full header set as Login V2 forwards it in `userAgent.header` (values are lists of strings). */
function browserHeaders(): Record<string, string[]> {
  const headers: Record<string, string[]> = {
    'User-Agent': [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86',
    ],
    Accept: [
      'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8',
    ],
    'Accept-Language': ['de-CH,de;q=0.9,en-GB;q=0.8,en;q=0.7,fr-CH;q=0.6,fr;q=0.5,it;q=0.4'],
    'Accept-Encoding': ['gzip, deflate, br, zstd'],
    'Sec-Ch-Ua': ['"Microsoft Edge";v="131", "Chromium";v="131", "Not_A Brand";v="24"'],
    'Sec-Ch-Ua-Mobile': ['?0'],
    'Sec-Ch-Ua-Platform': ['"Windows"'],
    'Sec-Fetch-Dest': ['document'],
    'Sec-Fetch-Mode': ['navigate'],
    'Sec-Fetch-Site': ['same-origin'],
    'Sec-Fetch-User': ['?1'],
    Referer: [
      `https://login.example.com/ui/v2/login/password?loginName=${'a'.repeat(120)}%40example.com&requestId=oidc_${digits(18)}&organization=${digits(18)}`,
    ],
    Cookie: [Array.from({ length: 12 }, (_, i) => `cookie_${i}=${b64(180, String(i))}`).join('; ')],
  };
  return headers;
}

/** The envelope's `headers`: the metadata of the API call that triggered the execution, proxies included. */
function forwardedHeaders(): Record<string, string[]> {
  const headers: Record<string, string[]> = {
    'X-Forwarded-For': ['203.0.113.7, 198.51.100.23, 192.0.2.200, 10.12.0.4, 10.12.0.19'],
    'X-Forwarded-Proto': ['https'],
    'X-Forwarded-Host': ['my-instance.zitadel.cloud'],
    'X-Real-Ip': ['203.0.113.7'],
    Forwarded: ['for=203.0.113.7;proto=https;host=my-instance.zitadel.cloud, for=198.51.100.23'],
    'User-Agent': ['zitadel-login/4.11.0 (node 22.12.0; linux x64) connect-es/2.0.1'],
    'Content-Type': ['application/json'],
    'Accept-Language': ['de-CH,de;q=0.9,en-GB;q=0.8,en;q=0.7'],
    'X-Zitadel-Login-Client': [digits(18)],
    'X-Zitadel-Public-Host': ['login.example.com'],
    'X-Zitadel-Instance-Host': ['my-instance.zitadel.cloud'],
    Traceparent: [`00-${'4bf92f3577b34da6a3ce929d0e0e4736'}-${'00f067aa0ba902b7'}-01`],
    Tracestate: [`vendor1=${b64(60)},vendor2=${b64(60)}`],
    Baggage: [`userId=${digits(18)},sessionId=${digits(18)},tenant=${b64(40)}`],
    'X-Request-Id': ['f0f1f2f3-f4f5-46f7-88f9-fafbfcfdfeff'],
    'X-Amzn-Trace-Id': ['Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1'],
    'Cf-Connecting-Ip': ['203.0.113.7'],
    'Cf-Ray': ['8f1e2d3c4b5a6978-ZRH'],
    'Cf-Ipcountry': ['CH'],
    Via: ['1.1 google, 1.1 varnish, 1.1 envoy'],
  };
  for (let i = 0; i < 20; i++) headers[`X-Custom-Forwarded-${i}`] = [b64(150, String(i))];
  return headers;
}

/** Every check of `zitadel.session.v2.Checks`, each as long as ZITADEL's validation lets it be. */
function allChecks(userId: string): Record<string, unknown> {
  return {
    user: { userId },
    password: { password: `${'P@ssw0rd-'.repeat(22)}<&>` },
    webAuthN: {
      // A PublicKeyCredential assertion (Struct), from a roaming key with a large user handle and signature.
      credentialAssertionData: {
        id: b64(64),
        rawId: b64(64),
        type: 'public-key',
        authenticatorAttachment: 'cross-platform',
        clientExtensionResults: { appid: false, credProps: { rk: true } },
        response: {
          authenticatorData: b64(300),
          clientDataJSON: b64(400),
          signature: b64(256),
          userHandle: b64(64),
        },
      },
    },
    idpIntent: { idpIntentId: digits(18), idpIntentToken: b64(200) },
    totp: { code: '123456' },
    otpSms: { code: '12345678' },
    otpEmail: { code: '12345678' },
    recoveryCode: { code: 'ABCDE-FGHIJ' },
  };
}

/** `zitadel.session.v2.RequestChallenges`, every kind asked for. */
function allChallenges(): Record<string, unknown> {
  return {
    webAuthN: {
      domain: 'login.example.com',
      userVerificationRequirement: 'USER_VERIFICATION_REQUIREMENT_REQUIRED',
    },
    otpSms: { returnCode: true },
    otpEmail: {
      sendCode: { urlTemplate: `https://login.example.com/otp/verify?code={{.Code}}&${'p=x&'.repeat(40)}` },
    },
  };
}

/** Session metadata (map<string, bytes>): what a custom login UI might attach; ten 1 KB values. */
function metadata(): Record<string, string> {
  return Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`custom-key-${i}`, b64(1024, String(i))]));
}

function userAgent(): Record<string, unknown> {
  return {
    fingerprintId: digits(18),
    ip: '2001:db8:85a3:8d3:1319:8a2e:370:7348',
    description: 'Edge 131 on Windows 10 (x64), Login V2',
    header: browserHeaders(),
  };
}

/** The challenges a CreateSession/SetSession answer carries, a passkey request with many credentials included. */
function challengeAnswers(): Record<string, unknown> {
  return {
    webAuthN: {
      publicKeyCredentialRequestOptions: {
        publicKey: {
          challenge: b64(32),
          timeout: 300000,
          rpId: 'login.example.com',
          userVerification: 'required',
          allowCredentials: Array.from({ length: 10 }, (_, i) => ({
            type: 'public-key',
            id: b64(64, String(i)),
            transports: ['usb', 'nfc', 'ble', 'hybrid', 'internal'],
          })),
        },
      },
    },
    otpSms: '12345678',
  };
}

function details() {
  return { sequence: '4294967295', changeDate: '2026-11-22T21:00:35.547123456Z', resourceOwner: digits(18) };
}

/** A CreateSession response condition with every check, challenge, metadata and a full user agent. */
export function largestCreateSessionBody(): string {
  const userId = digits(18);
  return goJson({
    fullMethod: `${SESSION_SERVICE}/CreateSession`,
    instanceID: digits(18),
    orgID: digits(18),
    projectID: digits(18),
    userID: digits(18),
    request: {
      checks: allChecks(userId),
      metadata: metadata(),
      challenges: allChallenges(),
      userAgent: userAgent(),
      lifetime: '31536000s',
    },
    response: {
      details: details(),
      sessionId: digits(18),
      sessionToken: b64(600),
      challenges: challengeAnswers(),
    },
    headers: forwardedHeaders(),
  });
}

/** A SetSession response condition, likewise full. */
export function largestSetSessionBody(): string {
  const checks = allChecks(digits(18));
  delete checks.user;
  return goJson({
    fullMethod: `${SESSION_SERVICE}/SetSession`,
    instanceID: digits(18),
    orgID: digits(18),
    projectID: digits(18),
    userID: digits(18),
    request: {
      sessionId: digits(18),
      sessionToken: b64(600),
      checks,
      metadata: metadata(),
      challenges: allChallenges(),
      lifetime: '31536000s',
    },
    response: { details: details(), sessionToken: b64(600), challenges: challengeAnswers() },
    headers: forwardedHeaders(),
  });
}

/** A `session.*.checked` event execution; its payload is the event's own (small) data, shown generously. */
export function largestSessionEventBody(): string {
  return goJson({
    aggregateID: digits(18),
    aggregateType: 'session',
    resourceOwner: digits(18),
    instanceID: digits(18),
    version: 'v1',
    sequence: 4294967295,
    event_type: 'session.webAuthN.checked',
    created_at: '2026-11-22T21:00:35.547123456Z',
    userID: digits(18),
    event_payload: {
      checkedAt: '2026-11-22T21:00:35.547123456Z',
      userVerified: true,
      authenticatorAttachment: 'cross-platform',
      userAgent: userAgent(),
      metadata: metadata(),
    },
  });
}
