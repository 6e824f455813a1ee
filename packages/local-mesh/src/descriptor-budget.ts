import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:net';

/**
 * The local mesh is one process: every listener (load balancer, participant entry, nine sidecars,
 * nine metadata servers) and every connection they open to the apps share its file-descriptor
 * limit. One listener that takes all of them takes every other listener down (issue 22, 3), so
 * each gets a connection cap, and the caps of all listeners together fit under the limit:
 *
 *   cap = min(MAX_PER_LISTENER, floor((limit − RESERVED) / (2 × listeners)))
 *
 * Two descriptors per connection: the client's, and the one the front opens to the app for its
 * request (upstream sockets are never more than the requests in flight, see cloud-run-front.ts).
 * A connection over the cap is closed at accept by Node (`server.maxConnections`), as Envoy's
 * connection limits do; the listener says so once a minute.
 */
export const DESCRIPTOR_BUDGET = {
  /**
   * What the process holds besides connections: its listeners, pipes to each of nine apps, the
   * collector's channel, route files being read — 74–83 at idle (measured), so three times that.
   */
  reserved: 256,
  /**
   * Envoy's default circuit breakers allow 1,024 connections and 1,024 requests to one cluster:
   * the local mesh never lets one listener hold more than CSM's Envoy would send one backend.
   */
  maxPerListener: 1024,
  /** Below this a listener could not serve a browser and a load test at once: say so. */
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

export function perListenerCap(limit: number, listeners: number): number {
  const share = Math.floor((limit - DESCRIPTOR_BUDGET.reserved) / (2 * Math.max(1, listeners)));
  return Math.max(DESCRIPTOR_BUDGET.minPerListener, Math.min(DESCRIPTOR_BUDGET.maxPerListener, share));
}

/**
 * The listeners of this process and their caps. One per process (the limit is the process's);
 * `say` is where its lines go (`pnpm start` prints them as the mesh's own).
 */
export class DescriptorBudget {
  readonly limit: number;
  private readonly listeners = new Map<Server, string>();
  private readonly lastSaid = new Map<string, number>();
  private say: (line: string) => void = (line) => console.error(line);
  private readonly now: () => number;

  constructor(limit = openFileLimit(), now: () => number = Date.now) {
    this.limit = limit;
    this.now = now;
  }

  /** Where the budget's lines go from now on. */
  reportTo(say: (line: string) => void): void {
    this.say = say;
  }

  /** The cap each listener has now. */
  get cap(): number {
    return perListenerCap(this.limit, this.listeners.size);
  }

  /**
   * Puts a listening `server` under the budget: a connection cap, and a line when it or the
   * process is full. Sockets handed to a server that does not listen (a CONNECT tunnel's far end)
   * are counted by the listener that accepted them.
   */
  add(server: Server, name: string): void {
    this.listeners.set(server, name);
    this.applyCaps();
    server.once('close', () => {
      this.listeners.delete(server);
      this.applyCaps();
    });
    let refused = 0;
    server.on('drop', () => {
      refused++;
      if (!this.due(`drop ${name}`)) return;
      this.say(
        `${name}: connection cap reached (${server.maxConnections} open); new connections are refused until some close` +
          (refused > 1 ? ` (${refused} refused so far)` : '') +
          ` — the cap is this process's file limit (ulimit -n ${this.limit}) shared by ${this.listeners.size} listeners`,
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
          `each listener is capped at ${this.cap} connections. Raise the limit before pnpm start ` +
          `(ulimit -n 65536), or find who holds connections (ls /proc/${process.pid}/fd | wc -l).`,
      );
    return true;
  }

  private applyCaps(): void {
    const cap = this.cap;
    for (const server of this.listeners.keys()) server.maxConnections = cap;
    const share = Math.floor((this.limit - DESCRIPTOR_BUDGET.reserved) / (2 * this.listeners.size));
    if (share < DESCRIPTOR_BUDGET.minPerListener && this.due('low limit'))
      this.say(
        `local mesh: ulimit -n ${this.limit} is too low for ${this.listeners.size} listeners — each takes ${cap} connections ` +
          `and the process may run out of descriptors; raise it before pnpm start (ulimit -n 4096 or more)`,
      );
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
