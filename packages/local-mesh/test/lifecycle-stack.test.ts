import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, TOPOLOGY_FILE } from '@meshapps/mesh-config';
import { runSourceCli, until } from '@meshapps/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type LocalMesh, startLocalMesh } from '../src/mesh.ts';
import type { HopEvent } from '../src/sidecar.ts';
import type { RestartPolicy } from '../src/supervisor.ts';
import { seeded } from './helpers/mini-mesh.ts';

// The real apps, each its own process, behind the example resilience routes — only the four
// services those routes need (a trimmed copy of the topology, made here, so starting is quick).
const EXAMPLES = join(REPO_ROOT, 'docs/examples/routes/resilience');
const dir = mkdtempSync(join(tmpdir(), 'meshapps-lifecycle-'));
const topologyFile = join(dir, 'topology.yaml');
{
  const topology = parse(readFileSync(TOPOLOGY_FILE, 'utf8'));
  const keep = new Set(['client', 'proxy', 'target1', 'target2']);
  for (const name of Object.keys(topology.services)) if (!keep.has(name)) delete topology.services[name];
  writeFileSync(topologyFile, stringify(topology));
}

// The restart wait is a gate this test opens, so "down" can be looked at without racing it.
const gate: { opened?: () => void } = {};
const restarts: RestartPolicy = {
  delayMs: () => 0,
  wait: () => new Promise<void>((open) => (gate.opened = open)),
  stableMs: 60_000,
};

let mesh: LocalMesh;
const lines: string[] = [];
const hops: HopEvent[] = [];
beforeAll(async () => {
  mesh = await startLocalMesh({
    topologyFile,
    routesDir: EXAMPLES,
    lbPort: 0,
    participantPort: 0,
    tracePort: 0,
    random: seeded(7),
    restarts,
    onProgress: (m) => lines.push(m),
    onHop: (h) => hops.push(h),
  });
});
afterAll(async () => {
  await mesh?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const call = async (path: string) => {
  const res = await fetch(`${mesh.loadBalancerUrl}${path}`);
  return { status: res.status, body: (await res.json()) as { message?: string; error?: any } };
};

/** Polls `probe` for 20 s; a timeout says what the mesh printed meanwhile, which says why. */
const untilSaid = <T>(what: string, probe: () => T) =>
  until(probe, `timed out waiting for ${what}`, 20_000).catch((err: Error) => {
    throw new Error(`${err.message}:\n${lines.join('\n')}`);
  });

describe('resilience example routes on the real stack', () => {
  it('says at start that these fields follow Envoy, unconfirmed on Cloud Run', () => {
    expect(lines).toContain(
      "route-abort50 uses faultInjectionPolicy: Envoy semantics; not confirmed on Cloud Run's managed data plane",
    );
    expect(lines).toContain(
      "route-retry uses timeout, retryPolicy: Envoy semantics; not confirmed on Cloud Run's managed data plane",
    );
  });

  it('split:check measures the 50 % abort as documented in abort50.yaml', async () => {
    const { code, out: output } = await runSourceCli('packages/traffic/src/split-check.ts', [
      '--url',
      `${mesh.loadBalancerUrl}/call/abort50.meshapps.internal`,
      '-n',
      '600',
      '--expect',
      'target2=50,503=50',
    ]);
    console.log(output);
    expect(output).toContain('split consistent with --expect');
    expect(code).toBe(0);
  });

  it('a 2 s delay behind a 1 s timeout: 504 naming the hop that timed out', async () => {
    const started = performance.now();
    const { status, body } = await call('/call/timeout1s.meshapps.internal/delay2s.meshapps.internal');
    const ms = performance.now() - started;
    expect(status).toBe(504);
    expect(body.error.hop).toBe('client -> timeout1s.meshapps.internal');
    expect(body.error.message).toContain('upstream request timeout');
    // It waited for the timeout, not for the delay (the 504 UT says the timeout ended it).
    expect(ms).toBeGreaterThanOrEqual(950);
    expect(hops).toContainEqual(
      expect.objectContaining({ route: 'route-timeout1s', status: 504, flags: 'UT' }),
    );
  });
});

describe('kill and recover, as Cloud Run starts a new instance', () => {
  it('target2 killed: a visible line, Cloud Run 503s while down, 200 once it is back', async () => {
    expect((await call('/call/retry.meshapps.internal')).body).toEqual({ message: 'client <- target2' });
    const target2 = mesh.processes.find((p) => p.spec.name === 'target2');
    const pid = target2?.pid as number;
    process.kill(pid, 'SIGKILL');

    await untilSaid('the restart line', () =>
      lines.includes('target2 exited (SIGKILL); starting a new instance'),
    );
    // Down: every attempt of the retry route gets Cloud Run's 503, so the last one is passed on.
    const down = await call('/call/retry.meshapps.internal');
    expect(down.status).toBe(503);
    expect(down.body.error.message).toContain(
      'The request was aborted because there was no available instance.',
    );
    expect(hops.at(-1)).toMatchObject({ route: 'route-retry', status: 503, flags: 'URX', attempts: 3 });

    gate.opened?.();
    await untilSaid('serving again', () => lines.find((l) => l.startsWith('target2 is serving again')));
    expect(target2?.pid).not.toBe(pid);
    expect(await call('/call/retry.meshapps.internal')).toEqual({
      status: 200,
      body: { message: 'client <- target2' },
    });
  });
});
