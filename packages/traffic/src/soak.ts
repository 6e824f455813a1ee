// pnpm soak [-- --seconds 60 --rps 300 --attack] — the stack as `pnpm start` runs it, under a
// fixed request rate through client → proxy → target1, on loopback; prints answers, latency and
// memory. With --attack, the collector also gets the inputs that once stalled or bloated the mesh
// (an 11 MB protobuf of 300k spans, a 256 MB gzip bomb) and the load balancer's latency around
// them is shown. Figures, not assertions: docs/reliability.md keeps the latest.
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { startMesh } from '@meshapps/local-mesh/mesh-process';
import { rssMiB, treeRssMiB } from '@meshapps/local-mesh/process-rss';
import { type LoadResult, percentile, runLoad } from '@meshapps/measure';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    seconds: { type: 'string', default: '60' },
    rps: { type: 'string', default: '300' },
    attack: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const rps = Number(values.rps);

const stack = await startStack();
const chain = `${stack.ready.loadBalancerUrl}/call/proxy.meshapps.internal/target1.meshapps.internal`;
console.log(
  `load average before: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${cpus().length} cores`,
);
const memory: { second: number; mesh: number; collector: number; tree: number }[] = [];
const sample = (second: number) => {
  const tree = [...treeRssMiB(stack.ready.pid).values()].reduce((a, b) => a + b, 0);
  const collector = rssMiB(stack.ready.traceCollectorPid) ?? 0;
  memory.push({ second, mesh: rssMiB(stack.ready.pid) ?? 0, collector, tree });
};
sample(0);

const attacks: string[] = [];
const attackSeconds: number[] = [];
if (values.attack) {
  // Built before the load starts: building them would stall this process, not the mesh.
  const protobuf = bigProtobuf(300_000);
  const bomb = gzipSync(Buffer.alloc(256 * 1024 * 1024));
  const at = (fraction: number, run: () => Promise<string>) => {
    attackSeconds.push(Math.floor(seconds * fraction));
    setTimeout(() => void run().then((line) => attacks.push(line)), seconds * 1000 * fraction);
  };
  at(1 / 3, () => post('11 MB protobuf, 300k spans', protobuf, {}));
  at(2 / 3, () => post('256 MB gzip bomb', bomb, { 'content-encoding': 'gzip' }));
}

console.log(`soak: ${seconds} s at ${rps} req/s → ${chain}`);
const result = await runLoad({
  url: chain,
  rps,
  durationMs: seconds * 1000,
  onSecond: (ms) => sample(ms / 1000),
});
sample(seconds);
const processCount = stack.processes();
const code = await stack.stop();
report(result);
console.log(`stack stopped (exit ${code})`);

function report(r: LoadResult): void {
  const statuses = Object.entries(r.statuses).map(([s, n]) => `${n} × ${s}`);
  const errors = Object.entries(r.errors).map(([e, n]) => `${n} × ${e}`);
  console.log(
    `sent ${r.sent} in ${(r.elapsedMs / 1000).toFixed(1)} s: ${[...statuses, ...errors].join(', ')}`,
  );
  const l = r.latencyMs;
  console.log(
    `latency from schedule, ms: p50 ${l.p50.toFixed(1)}  p90 ${l.p90.toFixed(1)}  p99 ${l.p99.toFixed(1)}  max ${l.max.toFixed(1)}  (${r.late} sent late)`,
  );
  const first = memory[1] ?? memory[0];
  const last = memory.at(-1);
  const peak = (k: 'mesh' | 'collector' | 'tree') => Math.max(...memory.map((m) => m[k])).toFixed(0);
  console.log(
    `RSS MiB — mesh process: ${first?.mesh.toFixed(0)} after 1 s, ${last?.mesh.toFixed(0)} at the end, peak ${peak('mesh')}; ` +
      `collector peak ${peak('collector')}; whole tree peak ${peak('tree')} (${processCount} processes)`,
  );
  for (const line of attacks) console.log(line);
  if (values.attack) {
    const worst = r.maxMsPerSecond.map((ms, s) => `${s}:${ms.toFixed(0)}`).join(' ');
    console.log(`slowest chain answer per second (s:ms): ${worst}`);
    const during = attackSeconds.map((s) => Math.max(r.maxMsPerSecond[s] ?? 0, r.maxMsPerSecond[s + 1] ?? 0));
    const others = r.maxMsPerSecond
      .filter((_, s) => s > 0 && !attackSeconds.some((a) => s === a || s === a + 1))
      .sort((a, b) => a - b);
    // The repository's one median (nearest rank), as the latency line above and bench use.
    const median = others.length > 0 ? percentile(others, 50) : 0;
    console.log(
      `slowest chain answer in the 2 s from each attack: ${during.map((ms) => `${ms.toFixed(0)} ms`).join(', ')}; median of the other seconds' slowest: ${median.toFixed(0)} ms`,
    );
  }
}

async function post(name: string, body: Buffer, headers: Record<string, string>): Promise<string> {
  const started = performance.now();
  const before = rssMiB(stack.ready.traceCollectorPid) ?? 0;
  let peak = before;
  const watch = setInterval(() => {
    peak = Math.max(peak, rssMiB(stack.ready.traceCollectorPid) ?? 0);
  }, 20);
  const res = await fetch(`${stack.ready.traceViewerUrl}/v1/traces`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-protobuf', ...headers },
  });
  await res.text();
  clearInterval(watch);
  return `attack ${name} (${(body.length / 1024).toFixed(0)} KiB sent): collector answered ${res.status} in ${(performance.now() - started).toFixed(0)} ms; collector RSS ${before.toFixed(0)} → peak ${peak.toFixed(0)} MiB`;
}

/** ExportTraceServiceRequest with `spans` minimal spans, encoded by hand (field numbers: trace.proto). */
function bigProtobuf(spans: number): Buffer {
  const span = Buffer.concat([
    Buffer.from([0x0a, 16]), // trace_id
    Buffer.alloc(16, 0x11),
    Buffer.from([0x12, 8]), // span_id
    Buffer.alloc(8, 0x22),
    Buffer.from([0x2a, 4]), // name
    Buffer.from('soak'),
  ]);
  const one = Buffer.concat([Buffer.from([0x12, span.length]), span]); // ScopeSpans.spans
  const scope = Buffer.concat(Array(spans).fill(one));
  const lengthDelimited = (field: number, payload: Buffer) =>
    Buffer.concat([Buffer.from([(field << 3) | 2]), varint(payload.length), payload]);
  return lengthDelimited(1, lengthDelimited(2, scope)); // resource_spans { scope_spans { … } }
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

async function startStack() {
  const mesh = await startMesh({ args: ['--quiet'], output: 'inherit-stderr', timeoutMs: 120_000 });
  return { ...mesh, processes: () => treeRssMiB(mesh.ready.pid).size };
}
