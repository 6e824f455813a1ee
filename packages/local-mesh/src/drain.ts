import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { sendJsonError } from './guard.ts';
import { lingerThenClose } from './write-answer.ts';

export interface DrainTiming {
  /** Cloud Run's: whatever is still open this long after the stop began is cut. */
  graceMs: number;
  /** The listener closes once no connection has arrived for this long… */
  quietMs: number;
  /** …or this long after the stop began, if connections never pause. */
  acceptMs: number;
  /** A connection with no request in progress this long into the drain is closed. */
  idleMs: number;
}

// quietMs: a pause a client that stops on a 503 makes at once, and longer than the stalls of a
// busy 2-core machine's scheduler, during which a client that is still sending looks quiet.
export const DRAIN: DrainTiming = { graceMs: 10_000, quietMs: 250, acceptMs: 2000, idleMs: 1000 };

type Phase = 'starting' | 'serving' | 'draining';

interface Connection {
  /** Accepted after the stop began: its requests are answered 503. */
  late: boolean;
  /** Requests in progress on it. */
  active: number;
  idleSince: number;
}

/**
 * The life of one entry listener (load balancer stand-in, participant entry). It is bound before
 * anything else starts, so a taken port is found first, and answers 503 until the mesh is ready.
 * Stopping drains it like Cloud Run, without resetting a connection the kernel already accepted:
 *
 * Linux resets every connection still in a listener's accept queue when the listener closes, so
 * closing at once resets what a busy mesh had not accepted yet (issue 22: 259 resets at 300
 * connections per second). Instead the listener keeps accepting while requests in flight finish;
 * a connection that arrives after the stop began is answered 503 with `Connection: close`; the
 * listener closes once no connection has arrived for `quietMs` (checked after the event loop has
 * polled, so nothing the kernel holds is left behind) — or after `acceptMs` if load never
 * pauses. Then what is between the poll and close(2) can be reset — handshakes still in flight,
 * more of them when the scheduler holds the mesh right there (decision 081 has the figures).
 */
export class EntryLife {
  private phase: Phase = 'starting';
  private readonly connections = new Map<Socket, Connection>();
  private lastAccept = Number.NEGATIVE_INFINITY;
  private readonly server: Server;
  /** The listener, as its answers name it. */
  private readonly name: string;

  constructor(server: Server, name: string) {
    this.server = server;
    this.name = name;
    server.on('connection', (socket: Socket) => {
      const now = performance.now();
      this.lastAccept = now;
      this.connections.set(socket, { late: this.phase === 'draining', active: 0, idleSince: now });
      socket.once('close', () => this.connections.delete(socket));
    });
  }

  /** The mesh is ready: requests go to the front from now on. */
  serve(): void {
    if (this.phase === 'starting') this.phase = 'serving';
  }

  /**
   * First thing in the listener's handler: true when the request was answered here (the mesh is
   * still starting, or the connection arrived after the stop began). While draining, the others
   * are served, each answer closing its connection.
   */
  answered(req: IncomingMessage, res: ServerResponse): boolean {
    const connection = this.connections.get(req.socket);
    if (connection) {
      connection.active++;
      res.once('close', () => {
        connection.active--;
        connection.idleSince = performance.now();
      });
    }
    if (this.phase === 'serving') return false;
    res.setHeader('connection', 'close');
    if (this.phase === 'draining' && connection && !connection.late) return false;
    const message =
      this.phase === 'starting'
        ? `${this.name}: the local mesh is still starting; try again in a moment`
        : `${this.name}: the local mesh is stopping; requests accepted before the stop are finishing, new connections get this answer`;
    // Answered at once, not after the whole body (an upload that never ends would hold it for
    // good); closing with unread bytes would reset the connection, so the rest is read and
    // discarded within the linger's bounds (time and bytes) before it closes.
    const socket = req.socket;
    res.once('finish', () => lingerThenClose(socket, req));
    sendJsonError(res, 503, message);
    return true;
  }

  /** Stops like Cloud Run (see the class); resolves with the number of connections cut at the end. */
  async drain(t: DrainTiming = DRAIN): Promise<number> {
    if (this.phase === 'draining' || !this.server.listening) return 0;
    this.phase = 'draining';
    const started = performance.now();
    const sweep = setInterval(() => this.closeIdle(started, t.idleMs), Math.min(100, t.idleMs));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(resolve, t.graceMs, 'deadline');
    });
    // net's close, not http's: http's also closes idle keep-alive connections at once, which races a
    // client sending its next request on one of them (that request would be reset, not answered).
    const closed = this.afterQuiet(started, t).then(
      () =>
        new Promise<'drained'>((resolve) =>
          NetServer.prototype.close.call(this.server, () => resolve('drained')),
        ),
    );
    const outcome = await Promise.race([closed, deadline]);
    clearTimeout(timer);
    clearInterval(sweep);
    const cut = outcome === 'deadline' ? this.connections.size : 0;
    if (this.server.listening) NetServer.prototype.close.call(this.server);
    this.server.closeAllConnections();
    for (const socket of this.connections.keys()) socket.destroy();
    return cut;
  }

  /** Closes at once (a start that failed): nothing was served yet. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /**
   * Resolves in a check phase (setImmediate), right after the event loop has polled and accepted
   * whatever the kernel held, once no connection has arrived for `quietMs` or `acceptMs` is over.
   * A timer alone would fire before the poll: after a busy stretch it would see "quiet" while the
   * accept queue is full. Quiet counts only while this process demonstrably ran: a tick that comes
   * late (the loop was busy, or the scheduler held the process) starts the quiet over — a machine
   * short of CPU holds the clients too, and they resume in a burst right when we would close.
   */
  private afterQuiet(started: number, t: DrainTiming): Promise<void> {
    const tickMs = 20;
    let lastTick = performance.now();
    let lastStall = Number.NEGATIVE_INFINITY;
    return new Promise((resolve) => {
      const check = () => {
        const now = performance.now();
        if (now - lastTick > 3 * tickMs) lastStall = now;
        lastTick = now;
        if (now - Math.max(this.lastAccept, lastStall) >= t.quietMs || now - started >= t.acceptMs) {
          clearInterval(ticker);
          resolve();
        }
      };
      const ticker = setInterval(() => setImmediate(check), tickMs);
      setImmediate(check);
    });
  }

  /** A connection still idle `idleMs` into the drain belongs to a client that is not sending. */
  private closeIdle(started: number, idleMs: number): void {
    const now = performance.now();
    for (const [socket, c] of this.connections)
      if (c.active === 0 && now - Math.max(c.idleSince, started) >= idleMs) socket.destroy();
  }
}
