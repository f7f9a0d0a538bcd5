import { createHmac } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zitadelHmac } from '../../src/signature/signZitadelPayload.js';
import { buildHarness, postWebhook, TEST_SIGNING_KEY } from '../support/harness.js';
import { createSessionResponse, signatureHeader } from '../support/webhooks.js';
import {
  expectClosedOrRefused,
  expectRefused,
  expectTerseError,
  forbidZitadelCalls,
  listen,
  rawExchange,
  type ListeningServer,
} from './hostileSupport.js';

// A genuine, verified-login body: if any malformed header were accepted, the limiter would search ZITADEL for this
// user, and forbidZitadelCalls would fail the test.
const BODY = createSessionResponse({
  id: '300000000000000001',
  userId: '300000000000000777',
  creationDate: new Date(),
});
const NOW = () => Math.floor(Date.now() / 1000);
const HEX64 = 'a'.repeat(64);
const mac = (body: string, t: number | string, key = TEST_SIGNING_KEY) =>
  zitadelHmac(key, t, body).toString('hex');

// Node sends an array value as repeated header lines; superagent's types only allow that for Cookie.
const repeated = (values: string[]) => values as unknown as string;

forbidZitadelCalls();
const { app } = buildHarness();

/** Headers that must be refused whatever the body: [name, header value, expected status or undefined for any 4xx]. */
function malformedHeaders(): [string, string, number | undefined][] {
  const t = NOW();
  const good = mac(BODY, t);
  return [
    ['an empty value', '', 401],
    // HTTP trims the value: a blank header is a missing one.
    ['a single space', ' ', 401],
    ['a bare comma', ',', 400],
    ['only commas', ',,,,', 400],
    ['a bare equals sign', '=', 400],
    ['an empty scheme', `=${t}`, 400],
    ['t with no value', 't=', 400],
    ['v1 with no value', `t=${t},v1=`, 400],
    ['only a timestamp', `t=${t}`, 400],
    ['only a signature (no t)', `v1=${good}`, 400],
    ['an empty pair between valid ones', `t=${t},,v1=${good}`, 400],
    ['a trailing comma', `t=${t},v1=${good},`, 400],
    ['a leading comma', `,t=${t},v1=${good}`, 400],
    ['a space after the comma', `t=${t}, v1=${good}`, 400],
    ['spaces around the equals sign', `t = ${t},v1 = ${good}`, 400],
    ['uppercase scheme names', `T=${t},V1=${good}`, 400],
    ['a duplicate t (the second one stale)', `t=${t},t=${t - 10_000},v1=${good}`, 400],
    ['a duplicate t (both equal)', `t=${t},t=${t},v1=${good}`, 400],
    ['a non-numeric t', `t=abc,v1=${good}`, 400],
    ['a negative t', `t=-${t},v1=${good}`, 400],
    ['a fractional t', `t=${t}.5,v1=${good}`, 400],
    ['an exponent t', `t=1.7e9,v1=${good}`, 400],
    ['a hex t', `t=0x${t.toString(16)},v1=${good}`, 400],
    ['a 13-digit t', `t=${'1'.repeat(13)},v1=${good}`, 400],
    ['a 64-digit t', `t=${'9'.repeat(64)},v1=${good}`, 400],
    ['a 63-digit signature', `t=${t},v1=${good.slice(1)}`, 400],
    ['a 65-digit signature', `t=${t},v1=${good}0`, 400],
    ['a 128-digit signature', `t=${t},v1=${good}${good}`, 400],
    ['a non-hex signature', `t=${t},v1=${'g'.repeat(64)}`, 400],
    ['a base64 signature', `t=${t},v1=${Buffer.from(good, 'hex').toString('base64')}`, 400],
    ['a signature with a 0x prefix', `t=${t},v1=0x${good.slice(2)}`, 400],
    ['nine v1 values', `t=${t}${`,v1=${HEX64}`.repeat(8)},v1=${good}`, 400],
    [
      'a header just over the 1 KiB cap, with the right signature inside',
      `t=${t},v1=${good},x=${'y'.repeat(1024)}`,
      400,
    ],
    ['an 8 KiB header', `t=${t},v1=${good},x=${'y'.repeat(8 * 1024)}`, 400],
    ['a header of 15 KiB, under Node’s 16 KiB limit', `t=${t},v1=${'z'.repeat(15 * 1024)}`, 400],
    ['latin-1 characters', `t=${t},v1=${'é'.repeat(64)}`, 400],
    ['a well-formed signature made with another key', `t=${t},v1=${mac(BODY, t, 'not-the-key')}`, 401],
    [
      'a signature made with the base64 of the key',
      `t=${t},v1=${mac(BODY, t, Buffer.from(TEST_SIGNING_KEY).toString('base64'))}`,
      401,
    ],
    ['a signature over another body', `t=${t},v1=${mac(`${BODY} `, t)}`, 401],
    [
      'a signature over the body alone (no "t." prefix)',
      // Built by hand on purpose: the wrong HMAC input, which the shared signer cannot make.
      `t=${t},v1=${createHmac('sha256', TEST_SIGNING_KEY).update(BODY).digest('hex')}`,
      401,
    ],
    ['a signature for another timestamp', `t=${t - 1},v1=${good}`, 401],
    ['duplicate wrong v1 pairs', `t=${t},v1=${HEX64},v1=${HEX64}`, 401],
    ['eight wrong v1 values', `t=${t}${`,v1=${HEX64}`.repeat(8)}`, 401],
    ['a genuine signature older than the tolerance', signatureHeader(BODY, TEST_SIGNING_KEY, t - 301), 401],
    ['a genuine signature from the epoch', signatureHeader(BODY, TEST_SIGNING_KEY, 0), 401],
    ['a genuine signature from the future', signatureHeader(BODY, TEST_SIGNING_KEY, t + 3600), 401],
    [
      'a genuine signature from the far future',
      signatureHeader(BODY, TEST_SIGNING_KEY, 999_999_999_999),
      401,
    ],
  ];
}

describe('malformed ZITADEL-Signature headers are refused before anything else happens', () => {
  it.each(malformedHeaders())('refuses %s', async (_name, header, status) => {
    const res = await postWebhook(app, BODY, { header });
    expectRefused(res, status);
    // A terse code only: nothing of the header is echoed back.
    expectTerseError(res.body);
  });

  it('refuses a missing header with 401', async () => {
    expectRefused(await postWebhook(app, BODY, { header: null }), 401);
  });

  it('refuses the header twice, even when both copies are genuine', async () => {
    const header = signatureHeader(BODY, TEST_SIGNING_KEY);
    const res = await request(app)
      .post('/session/manage')
      .set('Content-Type', 'application/json')
      .set('ZITADEL-Signature', repeated([header, header]))
      .send(BODY);
    expectRefused(res, 400);
  });

  it('refuses the header repeated a hundred times', async () => {
    const res = await request(app)
      .post('/session/manage')
      .set('Content-Type', 'application/json')
      .set(
        'ZITADEL-Signature',
        repeated(Array.from({ length: 100 }, () => signatureHeader(BODY, TEST_SIGNING_KEY))),
      )
      .send(BODY);
    expectRefused(res, 400);
  });

  it('refuses the signature under the name the proto comments use (X-ZITADEL-Signature)', async () => {
    const res = await request(app)
      .post('/session/manage')
      .set('Content-Type', 'application/json')
      .set('X-ZITADEL-Signature', signatureHeader(BODY, TEST_SIGNING_KEY))
      .send(BODY);
    expectRefused(res, 401);
  });
});

describe('header bytes no HTTP client library would send (raw socket)', () => {
  let server: ListeningServer;
  beforeAll(async () => {
    server = await listen(app, {
      headersTimeoutMs: 2_000,
      requestTimeoutMs: 3_000,
      keepAliveTimeoutMs: 5_000,
      checkIntervalMs: 100,
    });
  });
  afterAll(() => server.close());

  const send = (headerValue: Buffer) =>
    rawExchange(
      server.port,
      (socket) => {
        socket.write(
          Buffer.concat([
            Buffer.from(
              `POST /session/manage HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\nConnection: close\r\nZITADEL-Signature: `,
            ),
            headerValue,
            Buffer.from(`\r\n\r\n${BODY}`),
          ]),
        );
      },
      5_000,
    );

  const t = NOW();
  const cases: [string, Buffer][] = [
    ['UTF-8 fullwidth digits in t', Buffer.from(`t=１７００００００００,v1=${HEX64}`, 'utf8')],
    ['UTF-8 emoji in the signature', Buffer.from(`t=${t},v1=${'😀'.repeat(16)}`, 'utf8')],
    [
      'a UTF-8 byte-order mark before t',
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`t=${t},v1=${mac(BODY, t)}`)]),
    ],
    ['invalid UTF-8', Buffer.from([0x74, 0x3d, 0xff, 0xfe, 0xc0, 0x80])],
    ['a NUL byte', Buffer.from(`t=${t}\u0000,v1=${mac(BODY, t)}`, 'latin1')],
    ['a bare carriage return', Buffer.from(`t=${t}\r,v1=${mac(BODY, t)}`, 'latin1')],
    ['a bare line feed splitting the value', Buffer.from(`t=${t}\n,v1=${mac(BODY, t)}`, 'latin1')],
    ['a vertical tab and form feed', Buffer.from(`t=${t}\u000b\u000c,v1=${mac(BODY, t)}`, 'latin1')],
    ['a DEL character', Buffer.from(`t=${t}\u007f,v1=${mac(BODY, t)}`, 'latin1')],
    ['an obsolete folded continuation line', Buffer.from(`t=${t},\r\n v1=${mac(BODY, t)}`, 'latin1')],
  ];

  it.each(cases)('answers %s with a 4xx or a closed connection', async (_name, value) => {
    expectClosedOrRefused(await send(value));
  });

  // Sent by hand: superagent does not notice Node's 431 and waits for its own timeout.
  it('answers a header over Node’s 16 KiB header limit with 431 and a closed connection', async () => {
    const exchange = await send(Buffer.from(`t=${NOW()},v1=${'f'.repeat(17 * 1024)}`));
    expectClosedOrRefused(exchange);
    expect(exchange.status).toBe(431);
  });

  it('answers two thousand extra headers beside a valid-looking signature with a 4xx or a closed connection', async () => {
    const padding = Array.from({ length: 2_000 }, (_, i) => `X-Pad-${i}: ${i}`).join('\r\n');
    const exchange = await send(Buffer.from(`t=${NOW()},v1=${HEX64}\r\n${padding}`));
    expectClosedOrRefused(exchange);
  });
});
