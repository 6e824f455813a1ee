import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';

/** Raw bytes to a listener, for inputs no HTTP client would send. */
export function rawSocket(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host, () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Writes `bytes` (if any) and collects what comes back until the peer closes or `waitMs` passes.
 * `closed` says whether the peer closed the connection (and when, in ms after the write).
 */
export function exchange(
  socket: Duplex,
  bytes: string | Buffer = '',
  waitMs = 1000,
): Promise<{ text: string; closedAfterMs: number | undefined }> {
  return new Promise((resolve) => {
    const started = performance.now();
    let text = '';
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.off('data', onData);
      resolve({ text, closedAfterMs: closed ? performance.now() - started : undefined });
    };
    const onData = (d: Buffer) => {
      text += d.toString('latin1');
    };
    const timer = setTimeout(() => done(false), waitMs);
    socket.on('data', onData);
    socket.once('close', () => done(true));
    socket.on('error', () => {});
    if (bytes.length > 0) socket.write(bytes);
  });
}

/** A CONNECT tunnel through an egress proxy; resolves with the socket once it answers 200. */
export async function openTunnel(proxyPort: number, target: string): Promise<Socket> {
  const socket = await rawSocket(proxyPort);
  return new Promise((resolve, reject) => {
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (/^HTTP\/1\.1 200/.test(head)) resolve(socket);
      else reject(new Error(`CONNECT ${target} refused: ${head.split('\r\n')[0]}`));
    };
    socket.on('data', onData);
    socket.write(`CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n\r\n`);
  });
}

/** TLS inside a tunnel to an emulated run.app host (the test trusts the mesh's CA by not checking). */
export function tlsOver(socket: Socket, servername: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const tls = tlsConnect({ socket, servername, rejectUnauthorized: false }, () => resolve(tls));
    tls.once('error', reject);
  });
}

/** The status code of the first response in `text`, or undefined. */
export function statusOf(text: string): number | undefined {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  return m ? Number(m[1]) : undefined;
}
