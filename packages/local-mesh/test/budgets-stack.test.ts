import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { until } from '@meshapps/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDLE_UPSTREAM_MS, MAX_IDLE_UPSTREAM } from '../src/cloud-run-front.ts';
import { DESCRIPTOR_BUDGET, sharedConnections } from '../src/descriptor-budget.ts';
import { rssMiB } from '../src/process-rss.ts';
import { RETRY_BUFFER_LIMITS } from '../src/retry-buffers.ts';
import { openTunnel, rawSocket } from './helpers/raw.ts';
import { type Stack, startStack } from './helpers/stack.ts';

// Issue 22, 3, 5 and 9 replayed against `pnpm start` itself: while each runs, a probe through the
// load balancer answers within 1 s, and afterwards the mesh process is back within its budgets
// of descriptors and memory. The routes are the default ones, the retry example (item 9), and a
// 6 s fault delay of this test's own, so that each upload of item 5 holds its socket to the
// client app well past the probes.
const PROBE_MS = 1000;
/** Descriptors the mesh process may hold above its idle count once an attack is over. */
const DESCRIPTOR_SLACK = 16;
/**
 * Held uploads under a retry policy, and the share of what they offer the mesh may grow by. With
 * the 64 MiB budget the mesh keeps 64 MiB and streams the rest, whose 64 KiB reads V8 and glibc
 * give back lazily: +186 to +235 MiB for 527 MiB offered (0.35-0.45), measured on the 2-core
 * machine at load 3-5. Were every body kept, as before the budget (or with the budget planted out),
 * it grows by +522 (0.99). The bound sits between, and is not derived from the budget constant, so
 * raising the constant fails the test. (At 300 uploads the two were +117..+202 against +268: too
 * close for a loaded CI worker.)
 */
const HELD_UPLOADS = 600;
const KEPT_SHARE_LIMIT = 0.7;
const DELAY_6S = `name: route-delay6s
hostnames:
  - delay6s.meshapps.internal
meshes:
  - projects/\${PROJECT_ID}/locations/global/meshes/meshapps
rules:
  - action:
      destinations:
        - serviceName: projects/\${PROJECT_ID}/locations/global/backendServices/target1
      faultInjectionPolicy:
        delay:
          fixedDelay: 6s
          percentage: 100
`;

let stack: Stack;
let routes: string;
beforeAll(async () => {
  routes = mkdtempSync(join(tmpdir(), 'meshapps-budget-routes-'));
  for (const f of readdirSync(join(REPO_ROOT, 'infra/routes')))
    copyFileSync(join(REPO_ROOT, 'infra/routes', f), join(routes, f));
  copyFileSync(join(REPO_ROOT, 'docs/examples/routes/resilience/retry.yaml'), join(routes, 'retry.yaml'));
  writeFileSync(join(routes, 'delay6s.yaml'), DELAY_6S);
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
/**
 * The mesh process's own limit and what each of its listeners may hold under it, as
 * DescriptorBudget works it out: the shared budget is what is left once each service's front has
 * reserved MAX_IDLE_UPSTREAM descriptors for its idle sockets to the app. Where that shared budget
 * binds rather than the 1,024, what the other listeners hold at that moment comes off it too (with
 * ulimit -n 2000: 791 held against 800 here), so the exact count below needs a limit at which
 * the 1,024 binds, as CI's does.
 */
const cap = () => {
  const line = readFileSync(`/proc/${stack.pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const idle = Object.keys(stack.runAppHosts).length * MAX_IDLE_UPSTREAM;
  return Math.min(
    DESCRIPTOR_BUDGET.maxPerListener,
    sharedConnections(Number(line?.split(/\s{2,}/)[1]), idle),
  );
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

/**
 * Probes every 200 ms while `attack` runs; every probe must answer 200 within PROBE_MS. An attack
 * that holds resources is set up first, then probed while it holds them (`probeWhileHeld`): what
 * the probe measures is the hold, not the CPU this test spends opening connections on 2 cores.
 */
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

const probeWhileHeld = (ms: number, watch: () => void = () => {}) =>
  probedDuring(async () => {
    for (let t = 0; t < ms; t += 100) {
      watch();
      await pause(100);
    }
  });

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
const SETTLE_MS = IDLE_UPSTREAM_MS + 4000;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * Until the main threads of `pids` have all been asleep (waiting on their event loops) for 5
 * samples in a row, 20 ms apart: what they were sent has been taken in. Their state, not their
 * CPU use, which a busy machine keeps low even while a process still has work queued.
 */
async function asleep(pids: number[], watch: () => void = () => {}, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  const state = (pid: number) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  };
  let inARow = 0;
  while (inARow < 5 && Date.now() < deadline) {
    watch();
    inARow = pids.every((p) => state(p) === 'S') ? inARow + 1 : 0;
    await pause(20);
  }
}

/** The process of one service's app: a child of the mesh process with its K_SERVICE. */
function appPid(service: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== stack.pid) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`K_SERVICE=${service}`))
        return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no app process for ${service}`);
}

/** The figures docs/reliability.md quotes, printed with the slowest probe of the run. */
const say = (line: string, probes: number[]) =>
  console.log(
    `${line}; slowest of ${probes.length} load-balancer probes ${Math.max(...probes).toFixed(0)} ms`,
  );

describe('issue 22, 3: CONNECT tunnels to run.app that never start TLS', () => {
  it('1,000 closed by their client before TLS leave no descriptor behind, and the load balancer answers meanwhile', async () => {
    const idle = descriptors();
    const runApp = `${stack.runAppHosts['without-mesh-target']}:443`;
    const probes = await probedDuring(async () => {
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
    await until(
      () => descriptors() <= idle + DESCRIPTOR_SLACK,
      'the mesh did not give back the descriptors of 1,000 closed tunnels',
      SETTLE_MS,
    );
    say(`1,000 tunnels closed before TLS: mesh descriptors idle ${idle}, after ${descriptors()}`, probes);
    expect(descriptors()).toBeLessThanOrEqual(idle + DESCRIPTOR_SLACK);
  });

  it('held open past the cap, they fill one sidecar only: the load balancer answers, the cap is said', async () => {
    const idle = descriptors();
    const held: Socket[] = [];
    const runApp = `${stack.runAppHosts['without-mesh-target']}:443`;
    let probes: number[] = [];
    let atCap = 0;
    try {
      // Each tunnel opened, then left silent (the TLS handshake timeout would end them in 10 s).
      const opened = await Promise.all(
        Array.from({ length: cap() + 40 }, () => tunnelOrRefusal(egress('without-mesh-client'), runApp)),
      );
      for (const o of opened) if (o) held.push(o);
      expect(held.length).toBe(cap());
      probes = await probeWhileHeld(1000);
      await until(
        () => stack.lines.some((l) => l.includes('connection cap reached')),
        'the egress proxy did not say its connection cap was reached',
        SETTLE_MS,
      );
      expect(stack.lines.find((l) => l.includes('connection cap reached'))).toMatch(
        new RegExp(`egress proxy of without-mesh-client: connection cap reached \\(${cap()} open, `),
      );
      // Every other listener has its whole share: the participant's entry and the client's sidecar.
      atCap = descriptors();
      expect(atCap).toBeLessThan(idle + 2 * cap() + DESCRIPTOR_SLACK);
    } finally {
      for (const s of held) s.destroy();
    }
    await until(
      () => descriptors() <= idle + DESCRIPTOR_SLACK,
      'the mesh did not give back the descriptors of the tunnels held at the cap',
      SETTLE_MS,
    );
    say(
      `${cap() + 40} tunnels held open: ${held.length} accepted (the cap), mesh descriptors idle ${idle}, at the cap ${atCap}, after ${descriptors()}`,
      probes,
    );
    expect(descriptors()).toBeLessThanOrEqual(idle + DESCRIPTOR_SLACK);
  });
});

describe('issue 22, 5: 300 slow uploads to the load balancer', () => {
  // Each is a request the client app works on for 6 s (it calls delay6s) while its body trickles:
  // it holds a socket from the client front to the app all that time, as the uploads did.
  it('take no pool the probe needs: the load balancer answers while they trickle, and they leave nothing behind', async () => {
    expect(
      cap(),
      'this test needs a file limit that lets the load balancer hold 300 uploads',
    ).toBeGreaterThan(310);
    const idle = descriptors();
    const uploads: Socket[] = [];
    let probes: number[] = [];
    let during = 0;
    try {
      uploads.push(
        ...(await Promise.all(
          Array.from({ length: 600 }, async () => {
            const s = await rawSocket(Number(new URL(stack.lb).port));
            s.on('error', () => {});
            s.write(
              'GET /call/delay6s.meshapps.internal HTTP/1.1\r\nhost: lb\r\ncontent-length: 100000\r\n\r\nxxxxxxxxxx',
            );
            return s;
          }),
        )),
      );
      // Once the client app has sent on all 300 (three sockets each in the mesh: the upload, the
      // front's to the app, the app's to its sidecar) and both processes are done with the burst,
      // they hold until their 6 s are up.
      await until(
        () => descriptors() >= idle + 3 * 300 - 30,
        'the client app did not take up 300 of the uploads (three mesh descriptors each)',
        3000,
      );
      await asleep([stack.pid, appPid('client')]);
      probes = await probeWhileHeld(1000, () => {
        for (const s of uploads) s.write('x');
        during = Math.max(during, descriptors());
      });
    } finally {
      for (const s of uploads) s.destroy();
    }
    await until(
      () => descriptors() <= idle + DESCRIPTOR_SLACK,
      'the mesh did not give back the descriptors of the slow uploads',
      SETTLE_MS,
    );
    say(`300 slow uploads: mesh descriptors idle ${idle}, during ${during}, after ${descriptors()}`, probes);
    expect(descriptors()).toBeLessThanOrEqual(idle + DESCRIPTOR_SLACK);
  });
});

describe('issue 22, 9: held uploads to a route with a retry policy', () => {
  const body = Buffer.alloc(900 * 1024, 'x');
  /** HELD_UPLOADS uploads of 900 KiB, declared 1 MiB, held open: 527 MiB offered to the retry buffers. */
  function holdUploads(): Promise<Socket[]> {
    // Through the client's sidecar: target2 admits the client, so each body goes to the app (or is
    // kept) rather than being read and discarded by a 403 as fast as the test can send it.
    return Promise.all(
      Array.from({ length: HELD_UPLOADS }, async () => {
        const s = await rawSocket(egress('client'));
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
    const offered = (HELD_UPLOADS * body.length) / 1024 / 1024;
    const limit = KEPT_SHARE_LIMIT * offered;
    let peak = idle;
    let held: Socket[] = [];
    let probes: number[] = [];
    try {
      held = await holdUploads();
      // 527 MiB arrive at once: the mesh takes them in (a throughput matter on 2 shared cores),
      // then the uploads are held, each with its body kept or streamed to the app.
      await asleep([stack.pid], () => {
        peak = Math.max(peak, rss());
      });
      probes = await probeWhileHeld(1000, () => {
        peak = Math.max(peak, rss());
      });
    } finally {
      for (const s of held) s.destroy();
    }
    await until(
      () => descriptors() <= idleDescriptors + DESCRIPTOR_SLACK,
      'the mesh did not give back the descriptors of the held retry uploads',
      SETTLE_MS,
    );
    const after = rss();
    say(
      `${HELD_UPLOADS} held 900 KiB uploads (${offered.toFixed(0)} MiB) to a retry route: mesh RSS idle ${idle.toFixed(0)} MiB, peak ${peak.toFixed(0)}, after ${after.toFixed(0)} (budget ${budget} MiB; growth must stay below ${limit.toFixed(0)})`,
      probes,
    );
    expect(peak - idle).toBeLessThan(limit);
    expect(after - idle).toBeLessThan(limit);
    expect(descriptors()).toBeLessThanOrEqual(idleDescriptors + DESCRIPTOR_SLACK);
  });
});
