// pnpm split:check -- --url <url> -n <N> [--expect target2=50,target3=50] [--header 'x-variant: green']
// Sends N requests, counts who answered, prints each share with its confidence interval, and
// exits 1 when an expected share falls outside its interval.
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { answeredBy, judge, parseExpect, zFor } from './split-stats.ts';

// `pnpm x -- --flag` passes the `--` along; flags after it are still ours.
const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    url: { type: 'string' },
    n: { type: 'string', short: 'n', default: '1000' },
    expect: { type: 'string' },
    header: { type: 'string', multiple: true, default: [] },
    concurrency: { type: 'string', default: '16' },
    confidence: { type: 'string', default: '0.999' },
  },
  allowPositionals: true,
});

function fail(message: string): never {
  console.error(`split:check: ${message}`);
  process.exit(2);
}

if (!values.url)
  fail('usage: pnpm split:check -- --url <url> -n <N> [--expect a=50,b=50] [--header "name: value"]');
const url = new URL(values.url);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) && !process.env.SPLIT_CHECK_ALLOW_REMOTE) {
  // Load goes only where the participant meant it: say so before sending a thousand requests elsewhere.
  console.error(`split:check: sending to ${url.host} (not this machine)`);
}
const n = Number(values.n);
if (!Number.isInteger(n) || n < 1 || n > 100_000) fail('-n must be a whole number from 1 to 100000');
const concurrency = Math.min(Number(values.concurrency) || 16, n);
const z = zFor(Number(values.confidence));
const expected = values.expect ? parseExpect(values.expect) : undefined;
const headers: Record<string, string> = {};
for (const h of values.header) {
  const i = h.indexOf(':');
  if (i < 1) fail(`--header wants "name: value", got "${h}"`);
  headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
}

const dispatcher = new Agent({ connections: concurrency });
const counts = new Map<string, number>();
const errors = new Map<string, number>();
const count = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1);
let sent = 0;
const started = performance.now();
async function worker(): Promise<void> {
  while (sent < n) {
    sent++;
    try {
      const res = await request(url, { headers, dispatcher, signal: AbortSignal.timeout(10_000) });
      const body = (await res.body.json().catch(() => ({}))) as { message?: string };
      if (res.statusCode === 200 && typeof body.message === 'string') {
        const who = answeredBy(body.message);
        counts.set(who, (counts.get(who) ?? 0) + 1);
      } else {
        count(errors, `HTTP ${res.statusCode}`);
      }
    } catch (err) {
      count(errors, (err as { code?: string; name?: string }).code ?? (err as Error).name);
    }
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
await dispatcher.close();
const seconds = (performance.now() - started) / 1000;

const ok200 = [...counts.values()].reduce((a, b) => a + b, 0);
const verdicts = judge(counts, ok200, expected, z);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(6);
console.log(
  `${n} requests to ${url.href} in ${seconds.toFixed(1)} s (${Math.round(n / seconds)} req/s); ${Number(values.confidence) * 100}% intervals`,
);
for (const v of verdicts) {
  const exp = v.expected === undefined ? '' : `   expected ${pct(v.expected)}  ${v.ok ? 'ok' : 'OUTSIDE'}`;
  console.log(
    `  ${v.name.padEnd(20)} ${String(v.count).padStart(6)}  ${pct(v.share)}  [${pct(v.low)}, ${pct(v.high)}]${exp}`,
  );
}
for (const [what, n] of errors) console.log(`  failed (${what}): ${n}`);
const bad = verdicts.filter((v) => !v.ok);
if (errors.size > 0 || bad.length > 0) {
  console.log(
    bad.length > 0
      ? `split differs from --expect: ${bad.map((v) => v.name).join(', ')}`
      : 'some requests failed',
  );
  process.exit(1);
}
if (expected) console.log('split consistent with --expect');
