import { type ChildProcess, fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { FromCollector, ToCollector } from './collector-process.ts';
import type { TraceViewerOptions } from './server.ts';
import type { SpanRecord } from './span-record.ts';

export interface TraceCollectorOptions extends TraceViewerOptions {
  /** A line worth showing: the collector exited and is started again, or it printed something. */
  onEvent?: (message: string) => void;
  /** Added to the collector process's environment (the local mesh: Node's compile cache). */
  env?: Record<string, string>;
}

export interface TraceCollector {
  url: string;
  otlpEndpoint: string;
  /** The collector's process id (it is not this process). */
  readonly pid: number;
  /** Spans recorded in this process (the sidecars'); sent over in batches. */
  record(spans: readonly SpanRecord[]): void;
  close(): Promise<void>;
}

/** Batches: at most every 100 ms, like the SDK's span processor but shorter. */
const FLUSH_MS = 100;
/** Spans waiting while the collector is down or slow; beyond this the oldest are dropped. */
const MAX_PENDING = 20_000;
const RESTART_BACKOFF_MS = [250, 500, 1000, 2000, 5000];
// src/ runs as TypeScript (Node strips the types), dist/ as JavaScript. From sources, the child
// resolves workspace packages to their sources too (the `source` export condition).
const FROM_SOURCES = import.meta.url.endsWith('.ts');
const ENTRY = new URL(FROM_SOURCES ? './collector-process.ts' : './collector-process.js', import.meta.url);

/**
 * The trace viewer and OTLP collector in a process of its own: a huge or hostile export costs
 * that process CPU and memory (capped by its heap limit), never the caller's event loop. If it
 * dies it is started again on the same port, and spans recorded meanwhile are kept (bounded).
 */
export async function startTraceCollector(opts: TraceCollectorOptions = {}): Promise<TraceCollector> {
  const { onEvent, env = {}, ...viewerOptions } = opts;
  const say = onEvent ?? (() => {});
  let child = await spawnCollector(viewerOptions, env, say);
  const port = Number(new URL(child.ready.url).port);
  let pending: SpanRecord[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closing = false;
  let restarts = 0;

  const flush = () => {
    timer = undefined;
    if (pending.length === 0 || !child.process.connected) return;
    const message: ToCollector = { type: 'spans', spans: pending };
    pending = [];
    // The collector may die between the check and the write: keep the spans for the next one.
    child.process.send(message, (err) => {
      if (err) requeue(message.spans);
    });
  };
  const requeue = (spans: SpanRecord[]) => {
    pending.unshift(...spans);
    if (pending.length > MAX_PENDING) pending.splice(MAX_PENDING);
  };
  const watch = (proc: ChildProcess) =>
    proc.once('exit', (code, signal) => {
      if (closing) return;
      const delay = RESTART_BACKOFF_MS[Math.min(restarts++, RESTART_BACKOFF_MS.length - 1)] as number;
      onEvent?.(`trace collector exited (${signal ?? `code ${code}`}); starting it again on port ${port}`);
      setTimeout(restart, delay).unref();
    });
  const restart = async () => {
    if (closing) return;
    try {
      child = await spawnCollector({ ...viewerOptions, port }, env, say);
      watch(child.process);
      flush();
    } catch (err) {
      onEvent?.(`trace collector did not start again: ${(err as Error).message}; retrying`);
      const delay = RESTART_BACKOFF_MS[Math.min(restarts++, RESTART_BACKOFF_MS.length - 1)] as number;
      setTimeout(restart, delay).unref();
    }
  };
  watch(child.process);

  return {
    url: child.ready.url,
    otlpEndpoint: child.ready.otlpEndpoint,
    get pid() {
      return child.process.pid ?? 0;
    },
    record(spans) {
      pending.push(...spans);
      if (pending.length > MAX_PENDING) pending.splice(0, pending.length - MAX_PENDING);
      timer ??= setTimeout(flush, FLUSH_MS);
    },
    async close() {
      closing = true;
      if (timer) clearTimeout(timer);
      const proc = child.process;
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      const kill = setTimeout(() => proc.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(kill);
    },
  };
}

async function spawnCollector(
  options: TraceViewerOptions,
  env: Record<string, string>,
  say: (line: string) => void,
): Promise<{ process: ChildProcess; ready: { url: string; otlpEndpoint: string } }> {
  // Its own heap limit: an export that would need more kills the collector, not the mesh.
  // Its output comes through us, line by line: sharing our stdout would let the child's Node
  // switch that descriptor to blocking writes, and then a slow reader of our output (a test
  // runner, a pager) would stall the whole mesh.
  const proc = fork(ENTRY, [JSON.stringify(options)], {
    execArgv: [...(FROM_SOURCES ? ['--conditions=source'] : []), '--max-old-space-size=768'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  // A failed fork or a write to a channel that just closed is reported here; unheard, it would
  // be an uncaught exception in the mesh. The 'exit' listeners do the restarting.
  proc.on('error', (err) => say(`trace collector: ${err.message}`));
  for (const stream of [proc.stdout, proc.stderr])
    if (stream) createInterface({ input: stream }).on('line', (line) => say(`trace collector: ${line}`));
  const ready = await new Promise<{ url: string; otlpEndpoint: string }>((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new Error(`the trace collector exited (${code}) on start`));
    proc.once('exit', onExit);
    proc.once('message', (message: FromCollector) => {
      proc.off('exit', onExit);
      if (message.type === 'ready') return resolve(message);
      const err: NodeJS.ErrnoException = new Error(message.message);
      if (message.code) err.code = message.code;
      reject(err);
    });
  });
  return { process: proc, ready };
}
