// pnpm bench — what the local mesh costs. Boots the stack, then measures, interleaved per request
// so all scenarios share one time window: the app alone, 1 hop and 2 hops through the mesh.
// Prints figures and ratios; asserts nothing (timing goals live here, not in tests).
import { Agent, request } from 'undici';
import { startLocalMesh } from './mesh.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1500);
const WARMUP = 200;

const t0 = performance.now();
const mesh = await startLocalMesh({ lbPort: 0, participantPort: 0, tracePort: 0 });
const startupMs = performance.now() - t0;
const client = mesh.processes.find((p) => p.spec.name === 'client');
if (!client) throw new Error('no client service in the topology');

const scenarios: Record<string, string> = {
  'app alone (client /)': `http://127.0.0.1:${client.spec.port}/`,
  'LB -> client': `${mesh.loadBalancerUrl}/`,
  '1 hop (client -> target2)': `${mesh.loadBalancerUrl}/call/target2.meshapps.internal`,
  '2 hops (client -> proxy -> target1)': `${mesh.loadBalancerUrl}/call/proxy.meshapps.internal/target1.meshapps.internal`,
};
const dispatcher = new Agent({ connections: 4 });
const samples = new Map<string, number[]>(Object.keys(scenarios).map((k) => [k, []]));
for (let i = 0; i < ROUNDS + WARMUP; i++) {
  for (const [name, url] of Object.entries(scenarios)) {
    const start = process.hrtime.bigint();
    const res = await request(url, { dispatcher });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${name}: HTTP ${res.statusCode}`);
    if (i >= WARMUP) samples.get(name)?.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
}
await dispatcher.close();
await mesh.stop();

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
console.log(`stack start-up (9 processes, ready on /healthz): ${Math.round(startupMs)} ms`);
console.log(`${ROUNDS} sequential requests per scenario, interleaved; ms`);
console.log(`${'scenario'.padEnd(38)}   p50    p90    p99   mean`);
const p50 = new Map<string, number>();
for (const [name, xs] of samples) {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  p50.set(name, pct(xs, 50));
  console.log(
    `${name.padEnd(38)} ${[pct(xs, 50), pct(xs, 90), pct(xs, 99), mean].map((v) => v.toFixed(2).padStart(6)).join(' ')}`,
  );
}
const base = p50.get('LB -> client') ?? Number.NaN;
const one = p50.get('1 hop (client -> target2)') ?? Number.NaN;
const two = p50.get('2 hops (client -> proxy -> target1)') ?? Number.NaN;
console.log(
  `added per mesh hop at p50: ${(one - base).toFixed(2)} ms (1 hop), ${((two - base) / 2).toFixed(2)} ms (2 hops)`,
);
console.log(
  `ratio 1 hop / LB -> client at p50: ${(one / base).toFixed(2)}; 2 hops: ${(two / base).toFixed(2)}`,
);
