import { createServer, type Server, type Socket } from 'node:net';
import { runLoad } from '@meshapps/measure';
import { connectOutcome, listeningAddresses, nonLoopbackAddresses, until } from '@meshapps/test-fixtures';
import fc from 'fast-check';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rssMiB } from '../src/process-rss.ts';
import { spawnConnectionPerRequest } from './helpers/connection-per-request.ts';
import { callPaths, FUZZ, loopbackSpellings, type RawRequest, rawRequests, wire } from './helpers/fuzz.ts';
import { exchange, openTunnel, rawSocket, statusOf, tlsOver } from './helpers/raw.ts';
import { type Stack, startStack } from './helpers/stack.ts';

// The real stack, started with the very `pnpm start` command, probed as an attacker and a fault
// injector would (issue 13). The last test stops it under load.
let stack: Stack;
/** A loopback listener that no input may ever make the mesh or an app connect to. */
let recorder: Server;
const recorded: string[] = [];

beforeAll(async () => {
  recorder = createServer((socket: Socket) => {
    recorded.push(`${socket.remoteAddress}:${socket.remotePort}`);
    socket.destroy();
  });
  await new Promise<void>((r) => recorder.listen(0, '127.0.0.1', r));
  stack = await startStack([], { viaPnpm: true });
});
afterAll(async () => {
  recorder.close();
  if (!isAlive(stack?.pid)) return;
  process.kill(stack.pid, 'SIGTERM');
  try {
    await until(() => !isAlive(stack.pid), 'the mesh did not exit after SIGTERM', 20_000);
  } finally {
    await stack.stop();
  }
});

const recorderPort = () => (recorder.address() as { port: number }).port;
const listener = (name: string) => {
  const found = stack.listeners.find((l) => l.name === name);
  if (!found) throw new Error(`no listener "${name}" in ${stack.listeners.map((l) => l.name).join(', ')}`);
  return found;
};
const CHAIN = '/call/proxy.meshapps.internal/target1.meshapps.internal';
const WO_TARGET = 'without-mesh-target-123456789012.asia-northeast1.run.app';

function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function chainAnswers(): Promise<number> {
  const res = await fetch(`${stack.lb}${CHAIN}`);
  await res.text();
  return res.status;
}

describe('defect 10: nothing answers on a network address', () => {
  it('every listener (entries, collector, egress proxies, metadata servers, apps) is bound to loopback only', () => {
    const names = stack.listeners.map((l) => l.name);
    for (const kind of ['app', 'egress proxy', 'metadata server'])
      expect(
        names.filter((n) => n.endsWith(kind)),
        kind,
      ).toHaveLength(9);
    expect(names).toEqual(expect.arrayContaining(['load balancer', 'participant entry', 'trace collector']));
    for (const l of stack.listeners) {
      expect(l.host, l.name).toBe('127.0.0.1');
      expect(listeningAddresses(l.port), l.name).toEqual(['127.0.0.1']);
    }
  });

  it("none of them accepts a connection on this machine's other addresses", async () => {
    for (const address of nonLoopbackAddresses()) {
      for (const l of stack.listeners)
        expect(await connectOutcome(address, l.port), `${l.name} on ${address}`).not.toBe('connected');
    }
    // …while on loopback they do: the check above can tell the difference.
    expect(await connectOutcome('127.0.0.1', listener('client app').port)).toBe('connected');
  });
});

describe('the inputs that once took the mesh down, against the real stack', () => {
  it('defect 1: Bearer bnVsbA.e30.e30 to a run.app host through an egress proxy → 401; the mesh lives', async () => {
    const tunnel = await openTunnel(listener('without-mesh-client egress proxy').port, `${WO_TARGET}:443`);
    const tls = await tlsOver(tunnel, WO_TARGET);
    const { text } = await exchange(
      tls,
      `GET / HTTP/1.1\r\nhost: ${WO_TARGET}\r\nauthorization: Bearer bnVsbA.e30.e30\r\nconnection: close\r\n\r\n`,
      5000,
    );
    expect(statusOf(text)).toBe(401);
    expect(await chainAnswers()).toBe(200);
  });

  it('defect 2: GET //x:99999/ with Metadata-Flavor: Google → 404; the mesh lives', async () => {
    const socket = await rawSocket(listener('client metadata server').port);
    const { text } = await exchange(
      socket,
      'GET //x:99999/ HTTP/1.1\r\nhost: x\r\nmetadata-flavor: Google\r\nconnection: close\r\n\r\n',
    );
    expect(statusOf(text)).toBe(404);
    expect(await chainAnswers()).toBe(200);
  });

  it('defect 9: an audience with CR/LF/ANSI reaches the terminal escaped, on one line', async () => {
    const res = await fetch(
      `http://127.0.0.1:${listener('client metadata server').port}/computeMetadata/v1/instance/service-accounts/default/identity?audience=https%3A%2F%2Fx%0D%0Alocal-mesh%20%20ready.%1B%5B2J`,
      { headers: { 'metadata-flavor': 'Google' } },
    );
    expect(res.status).toBe(200);
    await res.text();
    await until(
      () => stack.lines.some((l) => l.includes('ID token issued for audience https://x\\r\\n')),
      'the metadata server logged no token for the audience with control characters',
    );
    expect(stack.lines.filter((l) => l.includes('audience https://x'))).toEqual([
      expect.stringContaining('ID token issued for audience https://x\\r\\nlocal-mesh  ready.\\x1b[2J'),
    ]);
    expect(stack.lines.some((l) => l.includes('\x1b'))).toBe(false);
  });

  it('defect 3: with the collector frozen (SIGSTOP) the load balancer still answers, and the sidecars’ spans arrive after', async () => {
    expect(stack.traceCollectorPid).not.toBe(stack.pid);
    const traceId = '5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e';
    process.kill(stack.traceCollectorPid, 'SIGSTOP');
    try {
      const res = await fetch(`${stack.lb}${CHAIN}`, {
        headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      });
      expect(await res.json()).toEqual({ message: 'client <- proxy <- target1' });
    } finally {
      process.kill(stack.traceCollectorPid, 'SIGCONT');
    }
    let names: string[] = [];
    const spans = async () => {
      const r = await fetch(`${stack.traceViewer}/api/traces/${traceId}`);
      return r.ok ? ((await r.json()) as { spans: { serviceName: string }[] }).spans : [];
    };
    const deadline = Date.now() + 10_000;
    while (names.filter((n) => n.includes('sidecar')).length < 4 && Date.now() < deadline) {
      names = (await spans()).map((s) => s.serviceName);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(names).toEqual(expect.arrayContaining(['client sidecar', 'proxy sidecar', 'target1 sidecar']));
  });
});

describe('fuzz (fast-check, fixed seed; MESHAPPS_FUZZ_RUNS / MESHAPPS_FUZZ_SEED to look further)', () => {
  it('the recording listener records (the positive control for "no connection outside the allow-list")', async () => {
    expect(await connectOutcome('127.0.0.1', recorderPort())).toBe('connected');
    await until(() => recorded.length === 1, 'the recording listener recorded no connection');
    expect(recorded).toHaveLength(1);
  });

  it('/call paths through the load balancer: never a 5xx, always the JSON error shape', async () => {
    const pool = new Pool(stack.lb, { connections: 4 });
    try {
      await fc.assert(
        fc.asyncProperty(callPaths(recorderPort()), async (path) => {
          const res = await pool.request({ path, method: 'GET' });
          const text = await res.body.text();
          expect(res.statusCode, `${path} → ${text}`).toBeLessThan(500);
          if (res.statusCode >= 400) expect(JSON.parse(text).error.status, path).toBe(res.statusCode);
        }),
        { seed: FUZZ.seed, numRuns: FUZZ.runs * 3, endOnFailure: true },
      );
    } finally {
      await pool.close();
    }
  });

  const TARGETS: { name: string; open: () => Promise<import('node:stream').Duplex> }[] = [
    { name: 'load balancer', open: () => rawSocket(Number(new URL(stack.lb).port)) },
    { name: 'participant entry', open: () => rawSocket(Number(new URL(stack.participant).port)) },
    { name: 'client egress proxy', open: () => rawSocket(listener('client egress proxy').port) },
    {
      name: 'client egress proxy, mesh tunnel',
      open: () => openTunnel(listener('client egress proxy').port, 'target2.meshapps.internal:80'),
    },
    {
      name: 'without-mesh-client egress proxy, run.app tunnel',
      open: async () =>
        tlsOver(
          await openTunnel(listener('without-mesh-client egress proxy').port, `${WO_TARGET}:443`),
          WO_TARGET,
        ),
    },
    { name: 'client metadata server', open: () => rawSocket(listener('client metadata server').port) },
    { name: 'trace collector', open: () => rawSocket(listener('trace collector').port) },
  ];

  for (const [i, target] of TARGETS.entries()) {
    it(`request line and headers to the ${target.name}: always a status below 500`, async () => {
      const hosts = [
        'target1.meshapps.internal',
        'target2.meshapps.internal',
        'x.meshapps.internal',
        WO_TARGET,
        'metadata.google.internal',
        ...loopbackSpellings(recorderPort()),
      ];
      await fc.assert(
        fc.asyncProperty(rawRequests(hosts), async (request: RawRequest) => {
          const socket = await target.open();
          const { text } = await exchange(socket, wire(request), 4000);
          socket.destroy();
          // 1xx (100 Continue) may come first; the final status is what counts.
          const final = [...text.matchAll(/^HTTP\/1\.[01] (\d{3})/gm)]
            .map((m) => Number(m[1]))
            .find((s) => s >= 200);
          expect(
            final,
            `${JSON.stringify(wire(request).toString('latin1').slice(0, 300))} → ${text.slice(0, 200)}`,
          ).toBeDefined();
          expect(
            final,
            `${JSON.stringify(wire(request).toString('latin1').slice(0, 300))} → ${text.slice(0, 300)}`,
          ).toBeLessThan(500);
        }),
        // Each listener its own stream of inputs, still the same ones on every run.
        { seed: FUZZ.seed + i, numRuns: FUZZ.runs, endOnFailure: true },
      );
    });
  }

  it('after all of it: no connection reached the recording listener, and the mesh still answers', async () => {
    expect(recorded).toHaveLength(1);
    expect(isAlive(stack.pid)).toBe(true);
    expect(await chainAnswers()).toBe(200);
  });
});

describe('under load', () => {
  it('a short soak through client → proxy → target1: every answer 200, no errors, memory bounded', async () => {
    const result = await runLoad({ url: `${stack.lb}${CHAIN}`, rps: 50, durationMs: 3000, connections: 8 });
    expect(result.errors).toEqual({});
    expect(result.statuses).toEqual({ 200: result.sent });
    expect(result.sent).toBe(150);
    // Generous bounds: they catch a leak or an unbounded buffer, not normal variation.
    expect(rssMiB(stack.pid)).toBeLessThan(400);
    expect(rssMiB(stack.traceCollectorPid)).toBeLessThan(400);
  });

  it('SIGTERM to `pnpm start` under load: it drains — no accepted connection is reset — then stops', async () => {
    // Two kinds of client at once: 8 keep-alive connections through the chain, and (issue 22,
    // item 8) one new connection per request at 300 req/s to the client service itself, in a
    // process of its own, for 3 s (through the chain, 300 req/s overloads a shared 2-core machine
    // into 504s, which are not what this test is about: it is about the entry's accept queue).
    const perConnection = spawnConnectionPerRequest(`${stack.lb}/`, 300, 3000);
    await perConnection.sending;
    const loadStarted = Date.now();
    const pool = new Pool(stack.lb, { connections: 8, pipelining: 1 });
    const outcomes = { ok: 0, stopping: 0, refused: 0, failed: [] as string[] };
    let signalled = false;
    const worker = async () => {
      for (;;) {
        try {
          const res = await pool.request({ path: CHAIN, method: 'GET' });
          const text = await res.body.text();
          if (res.statusCode === 200) outcomes.ok++;
          else if (signalled && res.statusCode === 503 && text.includes('the local mesh is stopping')) {
            outcomes.stopping++; // a new connection after the stop began: answered, not reset
            return;
          } else outcomes.failed.push(`${res.statusCode} ${text.slice(0, 200)}`);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          // Refused at connect: the listener had closed. Never sent, so never accepted.
          if (signalled && code === 'ECONNREFUSED') {
            outcomes.refused++;
            return;
          }
          outcomes.failed.push(String(code ?? err));
          return;
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    // A worker that failed ends the wait: the assertions below say what it got.
    await until(
      () => outcomes.failed.length > 0 || (outcomes.ok >= 40 && Date.now() - loadStarted >= 1500),
      'the chain did not answer 40 requests and 1.5 s of load',
      20_000,
    );
    const meshPid = stack.pid;
    signalled = true;
    stack.child.kill('SIGTERM'); // to pnpm, which passes it on (its script execs node)
    await Promise.all(workers);
    await pool.close();
    const perConn = await perConnection.outcome;
    await until(() => !isAlive(meshPid), 'the mesh did not exit after SIGTERM to pnpm start', 20_000);

    expect(outcomes.failed).toEqual([]);
    expect(outcomes.ok).toBeGreaterThan(40);
    expect(outcomes.stopping + outcomes.refused).toBe(8);
    expect(perConn.reset).toBe(0);
    expect(perConn.other).toEqual({});
    expect(Object.keys(perConn.statuses).filter((s) => s !== '200' && s !== '503')).toEqual([]);
    // The stop landed mid-load: answers before it, and 503s or refusals after it.
    expect(perConn.statuses['200']).toBeGreaterThan(0);
    expect((perConn.statuses['503'] ?? 0) + perConn.refused).toBeGreaterThan(0);
    expect((perConn.statuses['200'] ?? 0) + (perConn.statuses['503'] ?? 0) + perConn.refused).toBe(
      perConn.sent,
    );
    expect(isAlive(meshPid)).toBe(false);
    expect(stack.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/draining like Cloud Run/),
        expect.stringMatching(/stopped\.$/),
      ]),
    );
  });
});
