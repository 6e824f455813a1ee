import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';

/**
 * The local mesh is one process: every listener (load balancer, participant entry, nine sidecars,
 * nine metadata servers) and every connection they open to the apps share its file-descriptor
 * limit. One listener that takes all of them takes every other listener down (issue 22, 3). So:
 *
 * - each listener holds at most MAX_PER_LISTENER connections (Envoy's default per cluster), and
 * - all listeners together at most ⌊(limit − RESERVED − idle) / 2⌋: two descriptors per
 *   connection, the client's and the one its front opens to the app (upstream sockets in use are
 *   never more than the requests in flight, see cloud-run-front.ts). `idle` is what each front
 *   `reserve`s for the sockets its pool keeps between requests (MAX_IDLE_UPSTREAM each). Once that
 *   is near, no listener may grow past what is left, so the process never reaches its limit.
 *
 * A connection over a cap is closed at accept by Node (`server.maxConnections`), as Envoy's
 * connection limits do; the listener says so once a minute.
 */
export const DESCRIPTOR_BUDGET = {
  /**
   * What the process holds besides connections: its listeners, pipes to each of nine apps, the
   * collector's channel, lifelines, route files being read — 74–92 at idle (measured), so about
   * three times that.
   */
  reserved: 256,
  /**
   * Envoy's default circuit breakers allow 1,024 connections and 1,024 requests to one cluster:
   * the local mesh never lets one listener hold more than CSM's Envoy would send one backend.
   */
  maxPerListener: 1024,
  /** Below this many connections per listener, all together, the limit is said to be too low. */
  minPerListener: 16,
} as const;

/** How often a listener at its cap (or the process at its limit) says so again. */
const REPEAT_MS = 60_000;

/** The process's open-file limit (RLIMIT_NOFILE, soft: Node raises it to the hard one at start). */
export function openFileLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    if (soft) return soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
  } catch {
    // Not Linux: ask a shell, which inherits this process's limit.
  }
  const out = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout?.trim();
  if (out === 'unlimited') return Number.POSITIVE_INFINITY;
  return Number(out) > 0 ? Number(out) : 1024;
}

/**
 * How many connections all listeners of a process with this file limit may hold together, once
 * `idle` descriptors are set aside for the fronts' idle sockets to the apps.
 */
export function sharedConnections(limit: number, idle = 0): number {
  return Math.max(0, Math.floor((limit - DESCRIPTOR_BUDGET.reserved - idle) / 2));
}

/**
 * The listeners of this process and their caps. One per process (the limit is the process's);
 * `say` is where its lines go (`pnpm start` prints them as the mesh's own).
 */
export class DescriptorBudget {
  readonly limit: number;
  /** Descriptors set aside by `reserve` (the fronts' idle sockets to the apps). */
  private idle = 0;
  private readonly listeners = new Map<Server, { name: string; open: number }>();
  /** Connections open now, all listeners together. */
  private total = 0;
  /** Whether the caps were last set below MAX_PER_LISTENER by the shared budget. */
  private tight = false;
  private readonly lastSaid = new Map<string, number>();
  private say: (line: string) => void = (line) => console.error(line);
  private readonly now: () => number;

  constructor(limit = openFileLimit(), now: () => number = Date.now) {
    this.limit = limit;
    this.now = now;
  }

  /** Connections all listeners may hold together. */
  get shared(): number {
    return sharedConnections(this.limit, this.idle);
  }

  /**
   * Sets `count` descriptors aside for sockets no listener counts (a front's idle pool), so the
   * listeners' caps leave room for them. The function returned gives them back (once).
   */
  reserve(count: number): () => void {
    this.idle += count;
    this.recap();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.idle -= count;
      this.recap();
    };
  }

  /** Where the budget's lines go from now on. */
  reportTo(say: (line: string) => void): void {
    this.say = say;
  }

  /** Connections all listeners hold now. */
  get open(): number {
    return this.total;
  }

  /**
   * Puts a listening `server` under the budget: a connection cap, and a line when it or the
   * process is full. Sockets handed to a server that does not listen (a CONNECT tunnel's far end)
   * are counted by the listener that accepted them.
   */
  add(server: Server, name: string): void {
    const entry = { name, open: 0 };
    this.listeners.set(server, entry);
    server.maxConnections = this.capOf(entry);
    if (this.shared < DESCRIPTOR_BUDGET.minPerListener * this.listeners.size && this.due('low limit'))
      this.say(
        `local mesh: ulimit -n ${this.limit} is too low for ${this.listeners.size} listeners — together they may hold ` +
          `${this.shared} connections and the process may run out of descriptors; raise it before pnpm start (ulimit -n 4096 or more)`,
      );
    server.on('connection', (socket: Socket) => {
      entry.open++;
      this.total++;
      this.recap();
      socket.once('close', () => {
        entry.open--;
        this.total--;
        this.recap();
      });
    });
    server.once('close', () => this.listeners.delete(server));
    let refused = 0;
    server.on('drop', () => {
      refused++;
      if (!this.due(`drop ${name}`)) return;
      const why =
        entry.open >= DESCRIPTOR_BUDGET.maxPerListener
          ? `its cap of ${DESCRIPTOR_BUDGET.maxPerListener}`
          : `the process's ${this.shared} for all listeners (ulimit -n ${this.limit})`;
      this.say(
        `${name}: connection cap reached (${entry.open} open, ${why}); new connections are refused until some close` +
          (refused > 1 ? ` (${refused} refused so far)` : ''),
      );
    });
    // Node reports an accept that failed for want of descriptors here (libuv often closes such
    // connections without saying so: the caps above are what keeps the process from getting there).
    // Any other error of a listening server is said too, never left to crash the process.
    server.on('error', (err: NodeJS.ErrnoException) => {
      if (!this.failed(err, name)) this.say(`${name}: ${err.message}`);
    });
  }

  /**
   * An error anywhere in the process (accept, connect to an app, a file read): if it is EMFILE or
   * ENFILE, says once a minute what happened and what to do. True when it was one.
   */
  failed(err: NodeJS.ErrnoException, where: string): boolean {
    if (err.code !== 'EMFILE' && err.code !== 'ENFILE') return false;
    if (this.due('descriptors'))
      this.say(
        `${where}: out of file descriptors (${err.code}) — the local mesh may hold ${this.limit} (ulimit -n); ` +
          `its listeners hold ${this.total} connections, at most ${DESCRIPTOR_BUDGET.maxPerListener} each and ${this.shared} together. ` +
          `Raise the limit before pnpm start (ulimit -n 65536), or find who holds connections (ls /proc/${process.pid}/fd | wc -l).`,
      );
    return true;
  }

  /** A listener may hold its cap, or what it holds plus what is left of the shared budget. */
  private capOf(entry: { open: number }): number {
    return Math.min(DESCRIPTOR_BUDGET.maxPerListener, entry.open + Math.max(0, this.shared - this.total));
  }

  /** Caps change only near the shared budget (and once more when leaving it): O(1) otherwise. */
  private recap(): void {
    const tight = this.shared - this.total < DESCRIPTOR_BUDGET.maxPerListener;
    if (!tight && !this.tight) return;
    this.tight = tight;
    for (const [server, entry] of this.listeners) server.maxConnections = this.capOf(entry);
  }

  private due(key: string): boolean {
    const last = this.lastSaid.get(key);
    if (last !== undefined && this.now() - last < REPEAT_MS) return false;
    this.lastSaid.set(key, this.now());
    return true;
  }
}

/** This process's budget: every listener of the local mesh is added to it. */
export const descriptors = new DescriptorBudget();
