import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createDevicesOidc, DevicesLoginError } from '../../../src/zitadel/devicesOidc.js';

/**
 * The devices page's OIDC client against a ZITADEL that answers garbage: every failure is a DevicesLoginError
 * (which the page and the API answer with 502), never a raw error that would become a 500, and a failed discovery
 * is tried again by the next request.
 */

type Handler = (req: IncomingMessage, res: ServerResponse, base: string) => void;
let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function instance(handler: Handler): Promise<string> {
  let base = '';
  server = createServer((req, res) => handler(req, res, base));
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return base;
}

const discoveryOf = (base: string) =>
  JSON.stringify({
    issuer: base,
    authorization_endpoint: `${base}/oauth/v2/authorize`,
    token_endpoint: `${base}/oauth/v2/token`,
    introspection_endpoint: `${base}/oauth/v2/introspect`,
    jwks_uri: `${base}/oauth/v2/keys`,
  });

function client(instanceUrl: string) {
  return createDevicesOidc({
    instanceUrl,
    clientId: 'devices',
    clientSecret: 'devices-secret',
    redirectUri: 'https://limiter.test/devices/callback',
    timeoutMs: 5_000,
  });
}

const failure = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  return error instanceof DevicesLoginError ? error.code : error;
};

describe('the devices OIDC client against a ZITADEL that answers garbage', () => {
  it('a discovery document that is not JSON, or a 500, is zitadel_unavailable; the next request tries again', async () => {
    let calls = 0;
    const base = await instance((req, res, url) => {
      calls += 1;
      if (calls === 1) return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('<html>');
      if (calls === 2) return void res.writeHead(500).end();
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(discoveryOf(url));
    });
    const oidc = client(base);
    expect(await failure(oidc.beginLogin())).toBe('zitadel_unavailable');
    expect(await failure(oidc.beginLogin())).toBe('zitadel_unavailable');
    const { authorizationUrl } = await oidc.beginLogin();
    expect(authorizationUrl.href.startsWith(`${base}/oauth/v2/authorize?`)).toBe(true);
  });

  it('a token or introspection answer that is garbage, a 5xx or a dropped connection is zitadel_unavailable', async () => {
    const answers: ((res: ServerResponse) => void)[] = [
      (res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"active":'),
      (res) => res.writeHead(502).end('bad gateway'),
      (res) => res.socket?.destroy(),
      (res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('[]'),
    ];
    let next = 0;
    const base = await instance((req, res, url) => {
      if (req.url === '/.well-known/openid-configuration')
        return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(discoveryOf(url));
      answers[next++ % answers.length]?.(res);
    });
    const oidc = client(base);
    const { state } = await oidc.beginLogin();
    const callback = new URL(`https://limiter.test/devices/callback?code=c&state=${state.state}`);
    for (let round = 0; round < answers.length; round += 1) {
      expect([round, await failure(oidc.introspect('access-token-000000000'))]).toEqual([
        round,
        'zitadel_unavailable',
      ]);
      expect([round, await failure(oidc.finishLogin(callback, state))]).toEqual([
        round,
        'zitadel_unavailable',
      ]);
    }
  });

  it('introspection saying active for no subject is no user', async () => {
    const base = await instance((req, res, url) => {
      if (req.url === '/.well-known/openid-configuration')
        return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(discoveryOf(url));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"active":true,"sub":""}');
    });
    expect(await client(base).introspect('access-token-000000000')).toBeUndefined();
  });
});
