import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDLE_UPSTREAM_MS } from '../src/cloud-run-front.ts';
import { perListenerCap } from '../src/descriptor-budget.ts';
import { rssMiB } from '../src/process-rss.ts';
import { RETRY_BUFFER_LIMITS } from '../src/retry-buffers.ts';
import { openTunnel, rawSocket } from './helpers/raw.ts';
import { type Stack, startStack } from './helpers/stack.ts';

// Issue 22, 3, 5 and 9 replayed against `pnpm start` itself: while each runs, a probe through the
// load balancer answers within 1 s, and afterwards the mesh process is back within its budgets
// of descriptors and memory. The routes are the default ones plus two examples: delay2s (each
// upload of item 5 then holds its socket to the client app for 2 s) and retry (item 9).
const PROBE_MS = 1000;
/** Descriptors the mesh process may hold above its idle count once an attack is over. */
const DESCRIPTOR_SLACK = 16;
/**
 * Memory beyond the retry budget, MiB: bodies streamed past the budget pass through the mesh as
 * 64 KiB reads that V8 frees lazily (and glibc keeps for reuse) — ~80-95 MiB for the 200 MiB
 * streamed below. Were every body kept, as before the budget, the mesh would grow by 264 MiB.
 */
const STREAM_SLACK_MIB = 128;
const MESH_LISTENERS = 20; // 2 entries, 9 sidecars, 9 metadata servers

let stack: Stack;
let routes: string;
beforeAll(async () => {
  routes = mkdtempSync(join(tmpdir(), 'meshapps-budget-routes-'));
  for (const f of readdirSync(join(REPO_ROOT, 'infra/routes')))
    copyFileSync(join(REPO_ROOT, 'infra/routes', f), join(routes, f));
  for (const example of ['retry.yaml', 'delay2s.yaml'])
    copyFileSync(join(REPO_ROOT, 'docs/examples/routes/resilience', example), join(routes, example));
  stack = await startStack(['--routes', routes, '--quiet']);
});
afterAll(async () => {
  await stack?.stop();
  rmSync(routes, { recursive: true, force: true });
});

const descriptors = () => readdirSync(`/proc/${stack.pid}/fd`).length;
const rss = () => rssMiB(stack.pid) ?? 0;
const egress = (service: string) => {
  const l = stack.listeners.find((x) => x.name === `${service} egress proxy`);
  if (!l) throw new Error(`no egress proxy for ${service}`);
  return l.port;
};
/** The mesh process's own limit and what each of its listeners may hold under it. */
const cap = () => {
  const line = readFileSync(`/proc/${stack.pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  return perListenerCap(Number(line?.split(/\s{2,}/)[1]), MESH_LISTENERS);
};

/** One GET through the load balancer on a connection of its own: its status and how long it took. */
function probe(): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = get(`${stack.lb}/healthz`, { agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
  });
}

/** Probes every 200 ms while `attack` runs; every probe must answer 200 within PROBE_MS. */
async function probedDuring(attack: () => Promise<void>): Promise<number[]> {
  const results: { status: number; ms: number }[] = [];
  let running = true;
  const probing = (async () => {
    while (running) {
      results.push(await probe());
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  try {
    await attack();
  } finally {
    running = false;
    await probing;
  }
  expect(results.length).toBeGreaterThan(0);
  for (const r of results) expect(r, JSON.stringify(results)).toMatchObject({ status: 200 });
  const ms = results.map((r) => r.ms);
  expect(Math.max(...ms)).toBeLessThan(PROBE_MS);
  return ms;
}

/** A tunnel through `proxyPort`, or undefined when the proxy closed the connection unanswered (its cap). */
async function tunnelOrRefusal(proxyPort: number, target: string): Promise<Socket | undefined> {
  const socket = await rawSocket(proxyPort);
  socket.on('error', () => {});
  return new Promise((resolve) => {
    socket.once('close', () => resolve(undefined));
    socket.once('data', (d: Buffer) =>
      resolve(/^HTTP\/1\.1 200/.test(d.toString('latin1')) ? socket : undefined),
    );
    socket.write(`CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n\r\n`);
  });
}

/** Long enough for the fronts' idle sockets to the apps to close (IDLE_UPSTREAM_MS) and more. */
async function until(done: () => boolean, ms = IDLE_UPSTREAM_MS + 4000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('issue 22, 3: CONNECT tunnels to run.app that never start TLS', () => {
  it('1,000 closed by their client before TLS leave no descriptor behind, and the load balancer answers meanwhile', async () => {
    const idle = descriptors();
    const runApp = `${stack.runAppHosts['without-mesh-target']}:443`;
    await probedDuring(async () => {
      for (let i = 0; i < 1000; i += 100) {
        await Promise.all(
          Array.from({ length: 100 }, async () => {
            const socket = await openTunnel(egress('without-mesh-client'), runApp);
            socket.end();
            await new Promise((r) => socket.once('close', r));
          }),
        );
      }
    });
    await until(() => descriptors() <= idle + DESCRIPTOR_SLACK);
    expect(descriptors()).toBeLessThanOrEqual(idle + DESCRIPTOR_SLACK);
  });

  it('held open past the cap, they fill one sidecar only: the load balancer answers, the cap is said', async () => {
    const idle = descriptors();
    const held: Socket[] = [];
    const runApp = `${stack.runAppHosts['without-mesh-target']}:443`;
    try {
      await probedDuring(async () => {
        // Each tunnel opened, then left silent (the TLS handshake timeout would end them in 10 s).
        const opened = await Promise.all(
          Array.from({ length: cap() + 40 }, () => tunnelOrRefusal(egress('without-mesh-client'), runApp)),
        );
        for (const o of opened) if (o) held.push(o);
        expect(held.length).toBe(cap());
      });
      await until(() => stack.lines.some((l) => l.includes('connection cap reached')));
      expect(stack.lines.find((l) => l.includes('connection cap reached'))).toMatch(
        new RegExp(`egress proxy of without-mesh-client: connection cap reached \\(${cap()} open\\)`),
      );
      // Every other listener has its whole share: the participant's entry and the client's sidecar.
      expect(descriptors()).toBeLessThan(idle + 2 * cap() + DESCRIPTOR_SLACK);
    } finally {
      for (const s of held) s.destroy();
    }
    await until(() => descriptors() <= idle + DESCRIPTOR_SLACK);
    expect(descriptors()).toBeLessThanOrEqual(idle + DESCRIPTOR_SLACK);
  });
});

describe('issue 22, 5: 300 slow uploads to the load balancer', () => {
  // Each is a request the client app works on for 2 s (it calls delay2s) while its body trickles:
  // it holds a socket from the client front to the app all that time, as the uploads did.
  it('take no pool the probe needs: the load balancer answers while they trickle, and they leave nothing behind', async () => {
    expect(
      cap(),
      'this test needs a file limit that lets the load balancer hold 300 uploads',
    ).toBeGreaterThan(310);
    const idle = descriptors();
    const uploads: Socket[] = [];
    try {
      await probedDuring(async () => {
        for (let i = 0; i < 300; i++) {
          const s = await rawSocket(Number(new URL(stack.lb).port));
          s.on('error', () => {});
          s.write(
            'GET /call/delay2s.meshapps.internal HTTP/1.1\r\nhost: lb\r\ncontent-length: 100000\r\n\r\nxxxxxxxxxx',
          );
          uploads.push(s);
        }
        await pause(500);
        for (const s of uploads) s.write('x');
        await pause(500);
      });
    } finally {
      for (const s of uploads) s.destroy();
    }
    await until(() => descriptors() <= idle + DESCRIPTOR_SLACK);
    expect(descriptors()).toBeLessThanOrEqual(idle + DESCRIPTOR_SLACK);
  });
});

describe('issue 22, 9: held uploads to a route with a retry policy', () => {
  const body = Buffer.alloc(900 * 1024, 'x');
  /** 300 uploads of 900 KiB, declared 1 MiB, held open: 264 MiB offered to the retry buffers. */
  function holdUploads(): Promise<Socket[]> {
    const callers = ['client', 'proxy', 'target1', 'target3'];
    return Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const s = await rawSocket(egress(callers[i % callers.length] as string));
        s.on('error', () => {});
        s.write(
          `POST http://retry.meshapps.internal/ HTTP/1.1\r\nhost: retry.meshapps.internal\r\ncontent-length: ${1024 * 1024}\r\n\r\n`,
        );
        s.write(body);
        return s;
      }),
    );
  }

  it('keep no more than the retry budget: memory stays within it, and the load balancer answers', async () => {
    const idleDescriptors = descriptors();
    const idle = rss();
    const budget = RETRY_BUFFER_LIMITS.totalBytes / 1024 / 1024;
    let peak = idle;
    let held: Socket[] = [];
    try {
      await probedDuring(async () => {
        held = await holdUploads();
        for (let t = 0; t < 10; t++) {
          await pause(100);
          peak = Math.max(peak, rss());
        }
      });
    } finally {
      for (const s of held) s.destroy();
    }
    await until(() => descriptors() <= idleDescriptors + DESCRIPTOR_SLACK);
    const after = rss();
    console.log(
      `retry budget replay: mesh RSS idle ${idle.toFixed(0)} MiB, peak ${peak.toFixed(0)}, after ${after.toFixed(0)} (budget ${budget} MiB + ${STREAM_SLACK_MIB} MiB for streams)`,
    );
    expect(peak - idle).toBeLessThan(budget + STREAM_SLACK_MIB);
    expect(after - idle).toBeLessThan(budget + STREAM_SLACK_MIB);
    expect(descriptors()).toBeLessThanOrEqual(idleDescriptors + DESCRIPTOR_SLACK);
  });
});
