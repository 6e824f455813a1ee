import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, type Dispatcher, ProxyAgent, request } from 'undici';

/** One URL under load; `name` labels its figures. */
export interface Target {
  name: string;
  url: string;
  /**
   * Sent through this HTTP proxy, as an app sends through HTTP_PROXY: an `http://` URL goes to
   * the proxy in absolute form (undici's ProxyAgent, which the apps' EnvHttpProxyAgent uses).
   */
  proxy?: string;
}

export interface OpenLoopJob {
  kind: 'open';
  targets: Target[];
  /** Requests per second sent to EACH target; targets take turns request by request. */
  ratePerTarget: number;
  durationMs: number;
  /** Sent like the rest, left out of the figures (connections, JIT, caches). */
  warmupMs: number;
}

export interface ClosedLoopJob {
  kind: 'closed';
  target: Target;
  /** Concurrent connections, each sending its next request when the last one answered (wrk -c). */
  connections: number;
  durationMs: number;
}

export type LoadJob = OpenLoopJob | ClosedLoopJob;

export interface OpenLoopResult {
  kind: 'open';
  /** Per target: latency of each 200 in ms, measured from its INTENDED send time. */
  samples: Record<string, number[]>;
  /** Per target: what the failed ones were (`503`, `ECONNRESET`…) and how many of each. */
  why: Record<string, Record<string, number>>;
  /** One answer body per target, so the caller can check every scenario says the same thing. */
  bodies: Record<string, string>;
  /** How late the generator itself was at worst (its own lag counts as latency, as it should). */
  maxSendLagMs: number;
}

export interface ClosedLoopResult {
  kind: 'closed';
  completed: number;
  /** What the failed ones were, and how many of each. */
  why: Record<string, number>;
  elapsedMs: number;
  body: string | undefined;
}

export type LoadResult = OpenLoopResult | ClosedLoopResult;

const POOL = { connections: 256, keepAliveTimeout: 30_000, headersTimeout: 10_000 };
const agent = new Agent(POOL);
const proxies = new Map<string, ProxyAgent>();

function dispatcherFor(target: Target): Dispatcher {
  if (!target.proxy) return agent;
  let proxy = proxies.get(target.proxy);
  if (!proxy) {
    proxy = new ProxyAgent({ ...POOL, uri: target.proxy });
    proxies.set(target.proxy, proxy);
  }
  return proxy;
}

/** GET once: the body on 200, else what went wrong (the status, or the error's code). Never rejects. */
async function get(target: Target): Promise<{ body: string } | { failure: string }> {
  try {
    const res = await request(target.url, { dispatcher: dispatcherFor(target) });
    const body = await res.body.text();
    return res.statusCode === 200 ? { body } : { failure: String(res.statusCode) };
  } catch (err) {
    const e = err as { code?: string; name?: string };
    return { failure: e.code ?? e.name ?? 'error' };
  }
}

/** How many failed, all reasons together. */
export function failedCount(why: Record<string, number> | undefined): number {
  return Object.values(why ?? {}).reduce((a, b) => a + b, 0);
}

function count(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}

/**
 * Open loop at a fixed rate (coordinated-omission aware, as wrk2 or autocannon -R): request i is
 * due at start + i × interval whether or not earlier ones have answered, and its latency runs
 * from that due time. A slow answer therefore costs every request queued behind it, as it would
 * cost real callers, instead of quietly lowering the rate.
 */
export async function runOpenLoop(job: OpenLoopJob): Promise<OpenLoopResult> {
  const { targets } = job;
  const samples: Record<string, number[]> = {};
  const why: Record<string, Record<string, number>> = {};
  const bodies: Record<string, string> = {};
  for (const t of targets) {
    samples[t.name] = [];
    why[t.name] = {};
  }
  const intervalMs = 1000 / (job.ratePerTarget * targets.length);
  const start = performance.now() + 20;
  const measureFrom = start + job.warmupMs;
  const end = start + job.warmupMs + job.durationMs;
  const inflight = new Set<Promise<void>>();
  let maxSendLagMs = 0;
  for (let i = 0; ; i++) {
    const due = start + i * intervalMs;
    if (due >= end) break;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const target = targets[i % targets.length] as Target;
    const sentAt = performance.now();
    if (due >= measureFrom) maxSendLagMs = Math.max(maxSendLagMs, sentAt - due);
    // Timers fire to the millisecond, so a request may leave up to 1 ms early: then it is timed
    // from when it left. Late, it is timed from when it was due (the waiting counts).
    const from = Math.min(due, sentAt);
    const p = get(target).then((answer) => {
      if (due < measureFrom) return;
      if ('failure' in answer) {
        count(why[target.name] as Record<string, number>, answer.failure);
      } else {
        samples[target.name]?.push(performance.now() - from);
        bodies[target.name] ??= answer.body;
      }
    });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  }
  await Promise.all(inflight);
  return { kind: 'open', samples, why, bodies, maxSendLagMs };
}

/** Closed loop (wrk-style): throughput at saturation. Never use it for latency. */
export async function runClosedLoop(job: ClosedLoopJob): Promise<ClosedLoopResult> {
  let completed = 0;
  const why: Record<string, number> = {};
  let body: string | undefined;
  const started = performance.now();
  const end = started + job.durationMs;
  const connection = async () => {
    while (performance.now() < end) {
      const answer = await get(job.target);
      if ('failure' in answer) {
        count(why, answer.failure);
      } else {
        completed++;
        body ??= answer.body;
      }
    }
  };
  await Promise.all(Array.from({ length: job.connections }, connection));
  return { kind: 'closed', completed, why, elapsedMs: performance.now() - started, body };
}

export function runJob(job: LoadJob): Promise<LoadResult> {
  return job.kind === 'open' ? runOpenLoop(job) : runClosedLoop(job);
}
