import http from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHarness, postWebhook, TEST_SIGNING_KEY } from '../support/harness.js';
import {
  createSessionResponse,
  goJson,
  sessionCheckedEvent,
  setSessionResponse,
  signatureHeader,
} from '../support/webhooks.js';
import {
  expectClosedOrRefused,
  expectRefused,
  expectTerseError,
  forbidZitadelCalls,
  listen,
  rawExchange,
  type ListeningServer,
} from './hostileSupport.js';

// Genuine, verified-login bodies: whenever a case below were wrongly accepted, the limiter would call ZITADEL and
// forbidZitadelCalls would fail the test.
const USER = '300000000000000777';
const CREATE = createSessionResponse({ id: '300000000000000001', userId: USER, creationDate: new Date() });
const MAX_BODY_BYTES = 256 * 1024;

forbidZitadelCalls();
const { app } = buildHarness({ MAX_BODY_BYTES: String(MAX_BODY_BYTES) });

const signed = (body: string | Buffer) => signatureHeader(body, TEST_SIGNING_KEY);

describe('content types other than application/json are refused with 415, even with a genuine signature', () => {
  const contentTypes = [
    'text/plain',
    'text/json',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/jsonp',
    'application/json-seq',
    'application/x-ndjson',
    'application/problem+json',
    'application/octet-stream',
    'application/*',
    '*/*',
    'application',
    'json',
    'application/json, text/plain',
    'application/json\u00e9',
  ];

  it.each(contentTypes)('refuses Content-Type %j', async (contentType) => {
    expectRefused(await postWebhook(app, CREATE, { contentType }), 415);
  });

  it('refuses a request without a Content-Type', async () => {
    const res = await request(app)
      .post('/session/manage')
      .set('ZITADEL-Signature', signed(CREATE))
      .send(Buffer.from(CREATE));
    expectRefused(res, 415);
  });

  // type-is reads these as application/json; harmless, since the signature still covers the exact bytes.
  it.each([
    'application/json; charset=utf-16le',
    'application/json;;;',
    'application/json; charset',
    'APPLICATION/JSON',
  ])('still demands a genuine signature for the lenient Content-Type %j', async (contentType) => {
    expectRefused(await postWebhook(app, CREATE, { contentType, header: null }), 401);
  });
});

describe('compressed bodies are refused with 415, never inflated', () => {
  const compressions: [string, (input: Buffer) => Buffer][] = [
    ['gzip', gzipSync],
    ['x-gzip', gzipSync],
    ['GZIP', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
    ['gzip, identity', gzipSync],
    ['identity, gzip', gzipSync],
    ['compress', (input) => input],
    ['zstd', (input) => input],
    ['made-up', (input) => input],
  ];

  it.each(compressions)(
    'refuses Content-Encoding %s signed over the inflated body',
    async (encoding, compress) => {
      const res = await request(app)
        .post('/session/manage')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', encoding)
        .set('ZITADEL-Signature', signed(CREATE))
        .send(compress(Buffer.from(CREATE)));
      expectRefused(res, 415);
    },
  );

  it.each(compressions)(
    'refuses Content-Encoding %s signed over the compressed bytes',
    async (encoding, compress) => {
      const bytes = compress(Buffer.from(CREATE));
      const res = await request(app)
        .post('/session/manage')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', encoding)
        .set('ZITADEL-Signature', signed(bytes))
        .send(bytes);
      expectRefused(res, 415);
    },
  );
});

const nested = (depth: number, open: string, close: string, inner = '1') =>
  `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

/** Bodies that are not a ZITADEL webhook: [name, body]. */
const badBodies: [string, string][] = [
  ['an empty body', ''],
  ['whitespace only', ' \r\n\t '],
  ['plain text', 'not json at all'],
  ['truncated JSON', CREATE.slice(0, -1)],
  ['JSON with a trailing comma', '{"fullMethod":"/zitadel.session.v2.SessionService/CreateSession",}'],
  ['JSON with a byte-order mark', `\ufeff${CREATE}`],
  ['two JSON documents', `${CREATE}${CREATE}`],
  ['null', 'null'],
  ['true', 'true'],
  ['a number', '42'],
  ['a huge number', '1e999999'],
  ['a string', '"/zitadel.session.v2.SessionService/CreateSession"'],
  ['an empty array', '[]'],
  ['an array holding a genuine envelope', `[${CREATE}]`],
  ['an empty object', '{}'],
  ['an envelope hidden in __proto__', `{"__proto__":${CREATE}}`],
  ['an envelope hidden in constructor.prototype', `{"constructor":{"prototype":${CREATE}}}`],
  ['arrays nested 100,000 deep', nested(100_000, '[', ']')],
  ['objects nested 40,000 deep', nested(40_000, '{"a":', '}')],
  [
    'fullMethod nested 40,000 deep',
    `{"fullMethod":${nested(40_000, '[', ']', '"/zitadel.session.v2.SessionService/CreateSession"')}}`,
  ],
  [
    'a request nested 40,000 deep',
    `{"fullMethod":"/zitadel.session.v2.SessionService/SetSession","request":${nested(40_000, '[', ']', '{}')},"response":{}}`,
  ],
];

describe('bodies that are not a webhook', () => {
  it.each(badBodies)('refuses %s without a signature with 401', async (_name, body) => {
    expectRefused(await postWebhook(app, body, { header: null }), 401);
  });

  it.each(badBodies)('refuses %s even when genuinely signed, with 400', async (_name, body) => {
    const res = await postWebhook(app, body);
    expectRefused(res, 400);
    expectTerseError(res.body, /^(invalid_json|invalid_payload)$/);
  });
});

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Sets `path` in a deep copy of `envelope` to `value`. */
function withField(envelope: string, path: readonly string[], value: Json): string {
  const copy = JSON.parse(envelope) as Record<string, Json>;
  let node: Record<string, Json> = copy;
  for (const key of path.slice(0, -1)) {
    const child = node[key];
    if (typeof child !== 'object' || child === null || Array.isArray(child)) {
      node[key] = {};
    }
    node = node[key] as Record<string, Json>;
  }
  node[path[path.length - 1]!] = value;
  return goJson(copy);
}

const STRING_FIELD_WRONG: Json[] = [0, -1, 1.5, true, false, null, [], ['x'], {}, { a: 'b' }];
const ID_FIELD_WRONG: Json[] = [...STRING_FIELD_WRONG, '', 'x'.repeat(201)];
const OBJECT_FIELD_WRONG: Json[] = ['', 'x', 0, 1, true, false, [], [{}], null];

const SET = setSessionResponse('300000000000000002');
const EVENT = sessionCheckedEvent('300000000000000003');

/** [envelope name, envelope, path, wrong values]. Every field the parser reads, in each shape ZITADEL posts. */
const fields: [string, string, string[], Json[]][] = [
  ['CreateSession', CREATE, ['fullMethod'], [...STRING_FIELD_WRONG, '', 'x'.repeat(301)]],
  ['CreateSession', CREATE, ['instanceID'], STRING_FIELD_WRONG],
  ['CreateSession', CREATE, ['request'], OBJECT_FIELD_WRONG.filter((value) => value !== null)],
  ['CreateSession', CREATE, ['request', 'checks'], OBJECT_FIELD_WRONG],
  ['CreateSession', CREATE, ['request', 'checks', 'user'], OBJECT_FIELD_WRONG],
  ['CreateSession', CREATE, ['request', 'checks', 'user', 'userId'], ID_FIELD_WRONG],
  [
    'CreateSession',
    CREATE,
    ['request', 'checks', 'user', 'loginName'],
    [...STRING_FIELD_WRONG, '', 'x'.repeat(401)],
  ],
  ['CreateSession', CREATE, ['request', 'lifetime'], [...STRING_FIELD_WRONG, 'x'.repeat(41)]],
  ['CreateSession', CREATE, ['response'], OBJECT_FIELD_WRONG],
  ['CreateSession', CREATE, ['response', 'sessionId'], ID_FIELD_WRONG],
  ['CreateSession', CREATE, ['response', 'details'], OBJECT_FIELD_WRONG],
  ['CreateSession', CREATE, ['response', 'details', 'changeDate'], STRING_FIELD_WRONG],
  ['SetSession', SET, ['fullMethod'], STRING_FIELD_WRONG],
  ['SetSession', SET, ['request'], OBJECT_FIELD_WRONG],
  ['SetSession', SET, ['request', 'sessionId'], ID_FIELD_WRONG],
  ['SetSession', SET, ['request', 'checks'], OBJECT_FIELD_WRONG],
  ['SetSession', SET, ['response'], OBJECT_FIELD_WRONG],
  ['session event', EVENT, ['aggregateID'], ID_FIELD_WRONG],
  ['session event', EVENT, ['aggregateType'], STRING_FIELD_WRONG],
  ['session event', EVENT, ['event_type'], [...STRING_FIELD_WRONG, '', 'x'.repeat(201)]],
  ['session event', EVENT, ['created_at'], STRING_FIELD_WRONG],
];

const wrongTypeCases = fields.flatMap(([envelope, body, path, values]) =>
  values.map(
    (value) =>
      [
        `${envelope} ${path.join('.')} = ${JSON.stringify(value).slice(0, 24)}`,
        withField(body, path, value),
      ] as const,
  ),
);

// A CreateSession whose request or checks cannot be read checks no factor: it is handled like the username step,
// which is never answered 4xx (with interruptOnError that would fail the login), and it decides nothing.
const checksNoFactor = (name: string) => /^CreateSession request(\.checks)? = /.test(name);

describe('genuinely signed payloads with a field of the wrong type', () => {
  it.each(wrongTypeCases.filter(([name]) => checksNoFactor(name)))(
    'ignores %s as a step that checks no factor, calling nobody',
    async (_name, body) => {
      const res = await postWebhook(app, body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ outcome: 'ignored', reason: 'no_authentication_check' });
    },
  );

  it.each(wrongTypeCases.filter(([name]) => !checksNoFactor(name)))(
    'refuses %s with 400, calling nobody',
    async (_name, body) => {
      const res = await postWebhook(app, body);
      expectRefused(res, 400);
      expect(res.body).toEqual({ error: 'invalid_payload' });
    },
  );
});

describe('bodies over the size limit', () => {
  let server: ListeningServer;
  beforeAll(async () => {
    server = await listen(app, {
      headersTimeoutMs: 2_000,
      requestTimeoutMs: 5_000,
      keepAliveTimeoutMs: 5_000,
      checkIntervalMs: 100,
    });
  });
  afterAll(() => server.close());

  it('refuses a 10 MB body with 413 when signed, and with 401 before reading it when not', async () => {
    const body = `{"fullMethod":"/zitadel.session.v2.SessionService/CreateSession","pad":"${'x'.repeat(10 * 1024 * 1024)}"}`;
    expectRefused(await postWebhook(app, body, { header: null }), 401);
    expectRefused(await postWebhook(app, body), 413);
  });

  it('refuses a body one byte over the limit with 413', async () => {
    const body = `"${'x'.repeat(MAX_BODY_BYTES - 1)}"`;
    expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES + 1);
    expectRefused(await postWebhook(app, body), 413);
  });

  it('refuses a declared length of 10 MB at once, without waiting for the bytes', async () => {
    const exchange = await rawExchange(
      server.port,
      (socket) => {
        socket.write(
          `POST /session/manage HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${10 * 1024 * 1024}\r\nZITADEL-Signature: ${signed(CREATE)}\r\n\r\n${CREATE}`,
        );
      },
      8_000,
    );
    // The server answers 413 after reading off what it can, or closes the connection at the request timeout.
    expectClosedOrRefused(exchange);
  });

  it('refuses a chunked body that grows past the limit with 413 or a closed connection', async () => {
    const outcome = await new Promise<{ status?: number; error?: string }>((resolve) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: server.port,
          method: 'POST',
          path: '/session/manage',
          headers: {
            'Content-Type': 'application/json',
            'ZITADEL-Signature': signed(CREATE),
            'Transfer-Encoding': 'chunked',
          },
        },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0 });
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const writeMore = () => {
        while (sent < 2 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', writeMore);
            return;
          }
        }
        req.end();
      };
      writeMore();
    });
    if (outcome.status !== undefined) expect(outcome.status).toBe(413);
    else expect(outcome.error).toMatch(/ECONNRESET|EPIPE|socket hang up/);
  });

  it('refuses Content-Length together with Transfer-Encoding (request smuggling) with 400', async () => {
    const exchange = await rawExchange(
      server.port,
      (socket) => {
        socket.write(
          `POST /session/manage HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nZITADEL-Signature: ${signed(CREATE)}\r\n\r\n0\r\n\r\n`,
        );
      },
      5_000,
    );
    expectClosedOrRefused(exchange);
    expect(exchange.status).toBe(400);
  });

  it('refuses a non-numeric Content-Length with 400', async () => {
    const exchange = await rawExchange(
      server.port,
      (socket) =>
        socket.write(
          `POST /session/manage HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1e3\r\n\r\n{}`,
        ),
      5_000,
    );
    expectClosedOrRefused(exchange);
    expect(exchange.status).toBe(400);
  });
});

describe('other methods and paths', () => {
  it.each(['get', 'put', 'patch', 'delete', 'options'] as const)(
    'answers %s /session/manage with 404',
    async (method) => {
      const res = await request(app)[method]('/session/manage').set('ZITADEL-Signature', signed(CREATE));
      expectRefused(res, 404);
    },
  );

  it.each(['/session/manage/x', '/session', '/session/manage%00', '/%E0%A4%A', '/..%2fsession%2fmanage'])(
    'answers POST %s with a 404',
    async (path) => {
      const res = await request(app)
        .post(path)
        .set('Content-Type', 'application/json')
        .set('ZITADEL-Signature', signed(CREATE))
        .send(CREATE);
      expectRefused(res);
    },
  );
});

describe('unusual request framing (raw socket)', () => {
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

  const exchange = (head: string, body = CREATE) =>
    rawExchange(
      server.port,
      (socket) =>
        socket.write(
          `${head}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        ),
      6_000,
    );

  it.each([
    [
      'Expect: 100-continue without a signature',
      'POST /session/manage HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nExpect: 100-continue',
      401,
    ],
    [
      'an Expect value Node does not know',
      `POST /session/manage HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nExpect: bogus\r\nZITADEL-Signature: ${signed(CREATE)}`,
      417,
    ],
    [
      'HTTP/1.0 without Host or a signature',
      'POST /session/manage HTTP/1.0\r\nContent-Type: application/json',
      401,
    ],
    [
      'an absolute-form URI naming another host, unsigned',
      'POST http://zitadel.example/session/manage HTTP/1.1\r\nHost: zitadel.example\r\nContent-Type: application/json',
      401,
    ],
    [
      'a method Node does not know',
      `BREW /session/manage HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nZITADEL-Signature: ${signed(CREATE)}`,
      400,
    ],
    ['HTTP/2 prior knowledge on an HTTP/1 port', 'PRI * HTTP/2.0\r\n\r\nSM', undefined],
  ] as const)('answers %s with a 4xx or a closed connection', async (_name, head, status) => {
    const result = await exchange(head);
    expectClosedOrRefused(result);
    if (status !== undefined) expect(result.status).toBe(status);
  });
});
