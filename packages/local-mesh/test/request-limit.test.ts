import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ServiceSpec } from '@meshapps/mesh-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CloudRunFront, MAX_REQUEST_BYTES } from '../src/cloud-run-front.ts';
import { TokenIssuer } from '../src/identity.ts';
import { exchange, rawSocket, statusOf } from './helpers/raw.ts';
import { clientSidecar, meshService, target1Front } from './helpers/target1.ts';

// Cloud Run refuses a request over 32 MiB with 413. Refusing it must also end the connection:
// otherwise the listener keeps reading (and discarding) the rest of the body, or stalls on it.
const OVERSIZED = 40 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'x');
/** How long a closed-promptly connection may take; the failure it catches is a connection that stays open. */
const CLOSE_WITHIN_MS = 5000;

let app: Server;
let front: CloudRunFront;
let frontServer: Server;
let sidecar: { port: number; close: () => Promise<void> };

beforeAll(async () => {
  app = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"message":"target1"}'),
    );
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  const spec: ServiceSpec = { ...meshService('target1', { ingress: 'all' }), entry: 'load-balancer' };
  const issuer = new TokenIssuer();
  front = target1Front(spec, app, issuer, 'https://target1-123456789012.asia-northeast1.run.app');
  frontServer = createServer((req, res) => front.handle(req, res, { source: 'load-balancer' }));
  await new Promise<void>((r) => frontServer.listen(0, '127.0.0.1', r));
  // No run.app host is reached here: an idle server stands in for the emulated run.app listener.
  sidecar = await clientSidecar(meshService('client'), front, {
    issuer,
    runApp: { server: createServer(), hosts: new Set() },
  });
});
afterAll(async () => {
  await sidecar.close();
  front.close();
  for (const server of [frontServer, app]) {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

interface Sent {
  status: number | undefined;
  /** Body bytes the client managed to hand to its socket before the server closed it. */
  bodyBytesWritten: number;
  closed: boolean;
}

/** Sends `head` then `total` body bytes (chunked when asked), as fast as the server reads them. */
async function sendOversized(port: number, head: string, total: number, chunked: boolean): Promise<Sent> {
  const socket: Socket = await rawSocket(port);
  let text = '';
  let closed = false;
  socket.on('data', (d: Buffer) => {
    text += d.toString('latin1');
  });
  socket.on('error', () => {});
  const closedEvent = new Promise<void>((r) =>
    socket.once('close', () => {
      closed = true;
      r();
    }),
  );
  socket.write(head);
  let written = 0;
  while (written < total && !closed && !socket.destroyed) {
    const piece = chunked
      ? Buffer.concat([Buffer.from(`${CHUNK.length.toString(16)}\r\n`), CHUNK, Buffer.from('\r\n')])
      : CHUNK;
    written += CHUNK.length;
    if (!socket.write(piece)) {
      await Promise.race([new Promise((r) => socket.once('drain', r)), closedEvent]);
    }
  }
  if (chunked && !closed && !socket.destroyed) socket.write('0\r\n\r\n');
  await Promise.race([closedEvent, new Promise((r) => setTimeout(r, CLOSE_WITHIN_MS))]);
  socket.destroy();
  return { status: statusOf(text), bodyBytesWritten: written, closed };
}

/** The status of a plain GET on a new connection (absolute-form, which the sidecar needs too). */
async function answered(port: number): Promise<number | undefined> {
  const socket = await rawSocket(port);
  const { text } = await exchange(
    socket,
    'GET http://target1.meshapps.internal/ HTTP/1.1\r\nhost: target1.meshapps.internal\r\nconnection: close\r\n\r\n',
    3000,
  );
  return statusOf(text);
}

describe('413 for a request over 32 MiB ends the connection', () => {
  it('declared by content-length: 413 with connection: close, and the socket closes long before the body is sent', async () => {
    const sent = await sendOversized(
      (frontServer.address() as AddressInfo).port,
      `POST / HTTP/1.1\r\nhost: target1.meshapps.internal\r\ncontent-length: ${OVERSIZED}\r\n\r\n`,
      OVERSIZED,
      false,
    );
    expect(sent).toMatchObject({ status: 413, closed: true });
    expect(sent.bodyBytesWritten).toBeLessThan(OVERSIZED / 2);
    expect(await answered((frontServer.address() as AddressInfo).port)).toBe(200);
  });

  it('counted while streaming (chunked): 413, and the connection closes instead of stalling', async () => {
    const total = MAX_REQUEST_BYTES * 2;
    const sent = await sendOversized(
      (frontServer.address() as AddressInfo).port,
      'POST / HTTP/1.1\r\nhost: target1.meshapps.internal\r\ntransfer-encoding: chunked\r\n\r\n',
      total,
      true,
    );
    expect(sent).toMatchObject({ status: 413, closed: true });
    expect(sent.bodyBytesWritten).toBeLessThan(total);
    expect(await answered((frontServer.address() as AddressInfo).port)).toBe(200);
  });

  it('through the sidecar (hop-relay commits the same answer): 413 and the connection closes', async () => {
    const sent = await sendOversized(
      sidecar.port,
      `POST http://target1.meshapps.internal/ HTTP/1.1\r\nhost: target1.meshapps.internal\r\ncontent-length: ${OVERSIZED}\r\n\r\n`,
      OVERSIZED,
      false,
    );
    expect(sent).toMatchObject({ status: 413, closed: true });
    expect(sent.bodyBytesWritten).toBeLessThan(OVERSIZED / 2);
    expect(await answered(sidecar.port)).toBe(200);
  });
});
