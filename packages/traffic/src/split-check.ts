// pnpm split:check -- --url <url> -n <N> [--expect target2=50,target3=50] [--header 'x-variant: green']
// Sends N requests, counts who answered, prints each share with its confidence interval, and
// exits 1 when an expected share falls outside its interval. An HTTP status named in --expect
// (`--expect target2=50,503=50`) is an outcome too: that is how an injected abort is measured.
import { parseArgs } from 'node:util';
import { judge, outcomeOf, parseExpect, zFor } from '@meshapps/measure';
import { Agent } from 'undici';
import { forEachAnswer } from './send.ts';

// `pnpm split:check … | head` closes the pipe early: the reader is done, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const USAGE =
  'usage: pnpm split:check -- --url <url> -n <N> [--expect a=50,b=50 (a status counts too: 503=50)] [--header "name: value"] [--concurrency 16] [--confidence 0.999]';

function fail(message: string): never {
  console.error(`split:check: ${message}\n${USAGE}`);
  process.exit(2);
}

/** Bad input is a usage error with the reason, never a stack trace. */
function attempt<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    fail((err as Error).message);
  }
}

const { values } = attempt(() =>
  parseArgs({
    // `pnpm x -- --flag` passes the `--` along; flags after it are still ours.
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      url: { type: 'string' },
      n: { type: 'string', short: 'n', default: '1000' },
      expect: { type: 'string' },
      header: { type: 'string', multiple: true, default: [] },
      concurrency: { type: 'string', default: '16' },
      confidence: { type: 'string', default: '0.999' },
    },
  }),
);

if (!values.url) fail('--url is required');
// `localhost:8080/…` as curl accepts it: http:// is implied.
const url = attempt(
  () => new URL(/^https?:\/\//.test(values.url as string) ? (values.url as string) : `http://${values.url}`),
);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
  // Load goes only where the participant meant it: say so before sending a thousand requests elsewhere.
  console.error(`split:check: sending to ${url.host} (not this machine)`);
}
const n = Number(values.n);
if (!Number.isInteger(n) || n < 1 || n > 100_000) fail('-n must be a whole number from 1 to 100000');
const concurrencyWanted = Number(values.concurrency);
if (!Number.isInteger(concurrencyWanted) || concurrencyWanted < 1 || concurrencyWanted > 256) {
  fail('--concurrency must be a whole number from 1 to 256');
}
const concurrency = Math.min(concurrencyWanted, n);
const z = attempt(() => zFor(Number(values.confidence)));
const expected = values.expect ? attempt(() => parseExpect(values.expect as string)) : undefined;
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
const started = performance.now();
// Counted as they come: up to 100,000 answers are never held at once.
await forEachAnswer(url, n, { dispatcher, concurrency, headers }, (answer) => {
  if (answer.status === 0) {
    count(errors, answer.error ?? 'no answer');
    return;
  }
  const message = (answer.body as { message?: unknown } | undefined)?.message;
  const outcome = outcomeOf(answer.status, typeof message === 'string' ? message : undefined, expected);
  if (outcome !== undefined) count(counts, outcome);
  else count(errors, `HTTP ${answer.status}`);
});
await dispatcher.close();
const seconds = (performance.now() - started) / 1000;

const judged = [...counts.values()].reduce((a, b) => a + b, 0);
const verdicts = judge(counts, judged, expected, z);
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
if (judged === 0) {
  console.log('no request answered 200 (or a status named in --expect): nothing to judge');
  process.exit(1);
}
if (errors.size > 0 || bad.length > 0) {
  console.log(
    bad.length > 0
      ? `split differs from --expect: ${bad.map((v) => v.name).join(', ')}`
      : 'some requests failed',
  );
  process.exit(1);
}
if (expected) console.log('split consistent with --expect');
