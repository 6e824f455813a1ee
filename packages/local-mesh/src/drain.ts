import type { Server } from 'node:http';
import { Server as NetServer } from 'node:net';

export const DRAIN_GRACE_MS = 10_000;
const IDLE_LINGER_MS = 1000;

/**
 * Stops an entry listener the way Cloud Run drains an instance: no new connections; requests in
 * flight, and any request still arriving on an open connection, are answered (with
 * `Connection: close`, see `closeWhenDraining`); whatever is open after `graceMs` is cut.
 * Resolves with the number of connections that had to be cut.
 */
export async function drainServer(server: Server, graceMs = DRAIN_GRACE_MS): Promise<number> {
  if (!server.listening) return 0;
  let timer: NodeJS.Timeout | undefined;
  const open = () => new Promise<number>((resolve) => server.getConnections((_e, n) => resolve(n ?? 0)));
  // net's close, not http's: http's also closes idle keep-alive connections at once, which races a
  // client sending its next request on one of them (that request would be reset, not answered).
  const drained = new Promise<'drained'>((resolve) =>
    NetServer.prototype.close.call(server, () => resolve('drained')),
  );
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(resolve, graceMs, 'deadline');
  });
  // A connection still idle a second into the drain belongs to a client that is not sending
  // (curl has exited, a browser keeps it spare): close those rather than wait for keep-alive.
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_LINGER_MS);
  const outcome = await Promise.race([drained, deadline]);
  clearTimeout(timer);
  clearInterval(sweep);
  const cut = outcome === 'deadline' ? await open() : 0;
  server.closeAllConnections();
  return cut;
}

/** For an entry listener's handler: once draining, every answer closes its connection. */
export function closeWhenDraining(
  server: Server,
  res: { setHeader(name: string, value: string): unknown },
): void {
  if (!server.listening) res.setHeader('connection', 'close');
}
