/**
 * The unsigned slow-body flood of issue #10, as a short phase of `npm run loadtest`: many clients without a
 * signature, each announcing a large body and holding back its last byte, reconnecting as soon as they are cut off,
 * for a few seconds against one limiter process, over loopback only. Meanwhile one signed login is sent; the
 * phase reports the process's resident memory before and at its peak, and what the flooding clients got.
 */
import net from 'node:net';
import { memoryOf, sleep } from './support.js';

export interface UnsignedFloodOptions {
  readonly seconds: number;
  /** Flooding clients at once (keep it below the limiter's MAX_CONNECTIONS so the login can get in). */
  readonly clients: number;
  /** The body each client announces and sends all of but the last byte. */
  readonly bodyBytes: number;
}

export interface UnsignedFloodResult {
  readonly connections: number;
  /** Answered (401) and closed, or closed outright, before the client ever sent its last byte. */
  readonly refused: number;
  /** Still open after 3 s: the limiter was waiting for the body (what issue #10 found). */
  readonly keptWaiting: number;
  readonly rssBeforeMb: number;
  readonly rssPeakMb: number;
  /** The status of one signed login sent in the middle of the flood (0: no answer). */
  readonly loginStatus: number;
}

/** One flooding connection; resolves true when the server closed it before the client gave up. */
function oneConnection(port: number, head: string, body: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const giveUp = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 3_000);
    socket.on('error', () => undefined);
    // Read (and drop) the answer: a paused socket would never see the server's close.
    socket.resume();
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve(true);
    });
    socket.on('connect', () => {
      socket.write(head);
      socket.write(body.subarray(0, body.length - 1));
    });
  });
}

export async function unsignedFlood(
  url: string,
  pid: number,
  options: UnsignedFloodOptions,
  login: () => Promise<number>,
): Promise<UnsignedFloodResult> {
  const port = Number(new URL(url).port);
  const body = Buffer.alloc(options.bodyBytes, 0x20);
  const head = `POST /session/manage HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
  const rssBeforeMb = memoryOf(pid).rssMb;
  let rssPeakMb = rssBeforeMb;
  const sampler = setInterval(() => {
    rssPeakMb = Math.max(rssPeakMb, memoryOf(pid).rssMb);
  }, 50);
  let connections = 0;
  let refused = 0;
  let keptWaiting = 0;
  const endAt = performance.now() + options.seconds * 1000;
  const client = async () => {
    while (performance.now() < endAt) {
      connections += 1;
      if (await oneConnection(port, head, body)) refused += 1;
      else keptWaiting += 1;
    }
  };
  try {
    const flooding = Promise.all(Array.from({ length: options.clients }, client));
    await sleep((options.seconds * 1000) / 2);
    const loginStatus = await login().catch(() => 0);
    await flooding;
    rssPeakMb = Math.max(rssPeakMb, memoryOf(pid).rssMb);
    return { connections, refused, keptWaiting, rssBeforeMb, rssPeakMb, loginStatus };
  } finally {
    clearInterval(sampler);
  }
}
