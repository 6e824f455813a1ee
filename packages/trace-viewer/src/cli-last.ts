/**
 * `pnpm trace:last [traceId] [--url URL]`: the latest trace (or the one named) from the local
 * viewer, as a waterfall in the terminal. URL from `--url`, else `MESHAPPS_TRACE_VIEWER`, else
 * http://127.0.0.1:16686.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_VIEWER_PORT } from './server.ts';
import type { TraceSummary, TraceView } from './span-record.ts';
import './quiet-pipe.ts';
import { renderTextWaterfall } from './waterfall.ts';

const { values, positionals } = parseArgs({
  options: { url: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  allowPositionals: true,
});
if (values.help) {
  process.stdout.write('usage: pnpm trace:last [traceId] [--url http://127.0.0.1:16686]\n');
  process.exit(0);
}
const base = (
  values.url ??
  process.env.MESHAPPS_TRACE_VIEWER ??
  `http://127.0.0.1:${DEFAULT_VIEWER_PORT}`
).replace(/\/+$/, '');

// How long the trace must stay the same before it is printed, and the most to wait for that.
const SETTLE_MS = 300;
const MAX_WAIT_MS = 3000;

try {
  const trace = await settledTrace(positionals[0]);
  process.stdout.write(
    `${renderTextWaterfall(trace.traceId, trace.spans, { color: process.stdout.isTTY })}\n`,
  );
  process.stdout.write(`${base}/?trace=${trace.traceId}\n`);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

/**
 * Spans reach the collector a moment after the response (the SDK exports in batches every 200 ms),
 * so `curl … && pnpm trace:last` can come before the last of them. Reads again until the trace has
 * not grown for SETTLE_MS (at most MAX_WAIT_MS). The latest trace is looked up once more after the
 * first wait (the newest one may have had no span in yet), then kept: with traffic flowing, there
 * is always a newer one.
 */
async function settledTrace(named: string | undefined): Promise<TraceView> {
  const until = Date.now() + MAX_WAIT_MS;
  let traceId = named ?? (await latestTraceId());
  let lookAgain = named === undefined;
  let last: TraceView | undefined;
  for (;;) {
    const trace = await readTrace(traceId);
    if (last?.traceId === trace.traceId && last.spans.length === trace.spans.length) return trace;
    if (Date.now() + SETTLE_MS > until) {
      process.stderr.write(
        `trace ${trace.traceId} was still growing after ${MAX_WAIT_MS / 1000} s: it may be incomplete\n`,
      );
      return trace;
    }
    last = trace;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    if (lookAgain) {
      lookAgain = false;
      traceId = await latestTraceId();
    }
  }
}

async function latestTraceId(): Promise<string> {
  const { traces } = (await getJson(`${base}/api/traces?limit=1`)) as { traces: TraceSummary[] };
  const traceId = traces[0]?.traceId;
  if (traceId) return traceId;
  process.stderr.write(`no traces at ${base} yet: call a service first (see docs/tracing.md)\n`);
  process.exit(1);
}

function readTrace(traceId: string): Promise<TraceView> {
  return getJson(`${base}/api/traces/${encodeURIComponent(traceId)}`) as Promise<TraceView>;
}

async function getJson(url: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  } catch (err) {
    const reason = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new Error(`cannot reach the trace viewer at ${base} (${reason}): is \`pnpm start\` running?`);
  }
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) throw new Error(`${url}: ${res.status} ${body.error ?? ''}`.trim());
  return body;
}
