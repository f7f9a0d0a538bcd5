import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSignatureHeader } from '../../src/signature/verifyZitadelSignature.js';
import { buildHarness, TEST_SIGNING_KEY } from '../support/harness.js';
import { createSessionResponse, signatureHeader } from '../support/webhooks.js';
import { forbidZitadelCalls, listen, rawExchange, type ListeningServer } from './hostileSupport.js';

const BODY = createSessionResponse({
  id: '300000000000000001',
  userId: '300000000000000777',
  creationDate: new Date(),
});
const NOW = () => Math.floor(Date.now() / 1000);
// Declared far beyond what is sent: a server that read before checking would sit waiting for the rest.
const DECLARED = 1024 * 1024;

forbidZitadelCalls();

describe('checkSignatureHeader: what the header alone can tell', () => {
  const check = (header: string | undefined, nowSeconds = 1_800_000_000) =>
    checkSignatureHeader({ header, nowSeconds, toleranceSeconds: 300, futureSkewSeconds: 60 });
  const v1 = 'ab'.repeat(32);

  it.each([
    ['absent', undefined, 'signature_missing'],
    ['empty', '', 'signature_missing'],
    ['without v1', 't=1800000000', 'signature_malformed'],
    ['without t', `v1=${v1}`, 'signature_malformed'],
    ['with a short v1', `t=1800000000,v1=${v1.slice(2)}`, 'signature_malformed'],
    ['older than the tolerance', `t=${1_800_000_000 - 301},v1=${v1}`, 'signature_expired'],
    ['further ahead than the skew', `t=${1_800_000_000 + 61},v1=${v1}`, 'signature_from_future'],
  ])('refuses a header %s', (_name, header, reason) => {
    expect(check(header)).toEqual({ ok: false, reason });
  });

  it('lets a fresh, well-formed header through (its HMAC is checked once the body is read)', () => {
    expect(check(`t=1800000000,v1=${v1}`)).toEqual({ ok: true });
    expect(check(`t=${1_800_000_000 - 300},v1=${v1}`)).toEqual({ ok: true });
  });
});

describe('refusals that need no body are sent before it is read, and close the connection', () => {
  let server: ListeningServer;
  beforeAll(async () => {
    // Long timeouts: a refusal that waited for the body would show up as a missing answer, not as a 408.
    server = await listen(buildHarness().app, {
      headersTimeoutMs: 20_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 30_000,
      checkIntervalMs: 1_000,
    });
  });
  afterAll(() => server.close());

  const head = (signature: string | undefined, contentType = 'application/json') =>
    `POST /session/manage HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${contentType}\r\nContent-Length: ${DECLARED}\r\n` +
    `${signature === undefined ? '' : `ZITADEL-Signature: ${signature}\r\n`}\r\n`;

  const stale = signatureHeader(BODY, TEST_SIGNING_KEY, NOW() - 3_600);
  const future = signatureHeader(BODY, TEST_SIGNING_KEY, NOW() + 3_600);

  it.each([
    ['no signature header', head(undefined), 401, 'signature_missing'],
    ['a malformed header', head('t=1,v1=zz'), 400, 'signature_malformed'],
    ['a timestamp an hour old', head(stale), 401, 'signature_expired'],
    ['a timestamp an hour ahead', head(future), 401, 'signature_from_future'],
    ['a content type ZITADEL never sends', head(undefined, 'text/plain'), 415, 'unsupported_media_type'],
  ])(
    'answers %s at once, with the body still unsent, and closes',
    async (_name, requestHead, status, code) => {
      const exchange = await rawExchange(
        server.port,
        // A first slice of the body; the remaining megabyte never comes.
        (socket) => socket.write(requestHead + BODY.slice(0, 100)),
        5_000,
      );
      expect(exchange.status).toBe(status);
      expect(exchange.response).toMatch(/\r\nConnection: close\r\n/i);
      expect(exchange.response).toContain(`{"error":"${code}"`);
      expect(exchange.closed, 'the server kept the connection open to drain the body').toBe(true);
    },
  );

  it('refuses a forged but plausible header only once the body is read: 401 signature_mismatch', async () => {
    const forged = `t=${NOW()},v1=${'00'.repeat(32)}`;
    const exchange = await rawExchange(
      server.port,
      (socket) =>
        socket.write(
          `POST /session/manage HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\nZITADEL-Signature: ${forged}\r\n\r\n${BODY}`,
        ),
      2_000,
    );
    expect(exchange.status).toBe(401);
    expect(exchange.response).toContain('{"error":"signature_mismatch"}');
  });

  it('closes rather than drains after a 413 for a declared length over the limit', async () => {
    const exchange = await rawExchange(
      server.port,
      (socket) => socket.write(head(signatureHeader(BODY, TEST_SIGNING_KEY)) + BODY),
      5_000,
    );
    expect(exchange.status).toBe(413);
    expect(exchange.response).toMatch(/\r\nConnection: close\r\n/i);
    expect(exchange.closed).toBe(true);
  });
});
