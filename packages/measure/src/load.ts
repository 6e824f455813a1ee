import { Pool } from 'undici';
import { percentiles } from './percentile.ts';

export interface LoadOptions {
  /** e.g. http://127.0.0.1:8080/call/proxy.meshapps.internal/target1.meshapps.internal */
  url: string;
  /** Requests per second, sent open-loop (on schedule, whether or not earlier ones answered). */
  rps: number;
  durationMs: number;
  /** Keep-alive connections to the target (and the cap on requests in flight). */
  connections?: number;
  /** Called about once a second with the elapsed ms (e.g. to sample memory). */
  onSecond?: (elapsedMs: number) => void;
}

export interface LoadResult {
  sent: number;
  /** Answers by status code. */
  statuses: Record<string, number>;
  /** Requests that got no answer, by error code. */
  errors: Record<string, number>;
  /** Requests not sent on time because `connections` were all busy. */
  late: number;
  /** Nearest-rank percentiles (`percentile.ts`); NaN when nothing answered. */
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** The slowest answer to a request scheduled in each second of the run. */
  maxMsPerSecond: number[];
  elapsedMs: number;
}

/**
 * A fixed request rate against one URL for a while, on loopback only; latency is measured from
 * each request's scheduled time, so a stall shows up in the figures instead of hiding in fewer
 * requests. Stops itself after `durationMs`.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const target = new URL(opts.url);
  if (!/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(target.hostname))
    throw new Error(`load is for loopback only, not ${target.hostname}`);
  const connections = opts.connections ?? 16;
  const pool = new Pool(target.origin, { connections, keepAliveTimeout: 10_000 });
  const result: LoadResult = {
    sent: 0,
    statuses: {},
    errors: {},
    late: 0,
    latencyMs: { p50: 0, p90: 0, p99: 0, max: 0 },
    maxMsPerSecond: [],
    elapsedMs: 0,
  };
  const latencies: number[] = [];
  const interval = 1000 / opts.rps;
  // Counted once, not by comparing times: a float sum can land a hair under the duration and send
  // one request too many (150 of 150 became 151; 8.3 req/s for 30 s is 249.00000000000003).
  const total = Math.ceil((opts.durationMs * opts.rps) / 1000 - 1e-9);
  const path = target.pathname + target.search;
  const started = performance.now();
  let inFlight = 0;
  let nextSecond = 1000;
  const pending = new Set<Promise<void>>();
  for (let i = 0; i < total; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (performance.now() - started >= nextSecond) {
      opts.onSecond?.(nextSecond);
      nextSecond += 1000;
    }
    if (inFlight >= connections) {
      result.late++;
      await Promise.race(pending);
    }
    inFlight++;
    result.sent++;
    const one = (async () => {
      try {
        const res = await pool.request({ path, method: 'GET' });
        await res.body.text();
        result.statuses[res.statusCode] = (result.statuses[res.statusCode] ?? 0) + 1;
        const ms = performance.now() - due;
        latencies.push(ms);
        const second = Math.floor((due - started) / 1000);
        result.maxMsPerSecond[second] = Math.max(result.maxMsPerSecond[second] ?? 0, ms);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).name;
        result.errors[code] = (result.errors[code] ?? 0) + 1;
      } finally {
        inFlight--;
      }
    })();
    pending.add(one);
    void one.then(() => pending.delete(one));
  }
  await Promise.all(pending);
  await pool.close();
  result.elapsedMs = performance.now() - started;
  const { p50, p90, p99, max } = percentiles(latencies);
  result.latencyMs = { p50, p90, p99, max };
  return result;
}
