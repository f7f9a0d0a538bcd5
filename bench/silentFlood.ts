/**
 * The silent-connection flood of issue 15 (hole 4), as a short phase of `npm run loadtest`: as many sockets as the
 * limiter's MAX_CONNECTIONS that connect and send nothing, each reopened the moment it is closed, for a few
 * seconds against one limiter process, over loopback only. Meanwhile signed logins are sent one after another,
 * each on a new connection (as a ZITADEL whose keep-alive pool is empty would); the phase reports how long each
 * took to be answered. Before, every new connection was closed at once while the flood held the cap.
 */
import http from 'node:http';
import net from 'node:net';
import { sleep } from './support.js';

export interface SilentFloodOptions {
  readonly seconds: number;
  /** The limiter's MAX_CONNECTIONS: the flood holds exactly that many sockets. */
  readonly sockets: number;
  /** The pause between two logins. */
  readonly loginEveryMs: number;
}

export interface SilentFloodResult {
  /** Silent connections opened in all (reopened ones included). */
  readonly connections: number;
  /** Each login's status (0: the connection was closed or reset before an answer) and time to its answer. */
  readonly logins: readonly { readonly status: number; readonly ms: number }[];
}

/** One login on a connection of its own (no agent, no keep-alive). */
function loginOnNewConnection(
  url: string,
  body: string,
  signature: string,
): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      `${url}/session/manage`,
      {
        method: 'POST',
        agent: false,
        headers: { 'Content-Type': 'application/json', 'ZITADEL-Signature': signature },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      },
    );
    req.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
    req.end(body);
  });
}

export async function silentFlood(
  url: string,
  options: SilentFloodOptions,
  nextLogin: () => { readonly body: string; readonly signature: string },
): Promise<SilentFloodResult> {
  const port = Number(new URL(url).port);
  const endAt = performance.now() + options.seconds * 1000;
  const open = new Set<net.Socket>();
  let connections = 0;
  const openOne = () => {
    if (performance.now() >= endAt) return;
    connections += 1;
    const socket = net.connect(port, '127.0.0.1');
    open.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      open.delete(socket);
      openOne();
    });
  };
  for (let i = 0; i < options.sockets; i++) openOne();
  // Let the flood fill the cap before the first login.
  await sleep(500);
  const logins: { status: number; ms: number }[] = [];
  while (performance.now() < endAt) {
    const { body, signature } = nextLogin();
    logins.push(await loginOnNewConnection(url, body, signature));
    await sleep(options.loginEveryMs);
  }
  for (const socket of open) socket.destroy();
  return { connections, logins };
}
