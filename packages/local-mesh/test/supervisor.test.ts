import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { until } from '@meshapps/test-fixtures';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../src/ports.ts';
import { DEFAULT_RESTARTS, type RestartPolicy, ServiceProcess } from '../src/supervisor.ts';

// A container in ten lines: /healthz for readiness, /exit?code=N to crash with a code, and the
// start line a server prints once it holds its port.
const APP = `
const port = Number(process.env.PORT);
require('node:http').createServer((req, res) => {
  const exit = /^\\/exit\\?code=(\\d+)$/.exec(req.url);
  if (exit) process.exit(Number(exit[1]));
  res.end(req.url === '/healthz' ? 'ok' : 'svc');
}).listen(port, '127.0.0.1', () => console.log('Server listening at http://127.0.0.1:' + port));
`;

/** The restart wait as a gate the test opens: the service can be looked at while it is down. */
function gatedPolicy(stableMs = 60_000) {
  const waits: { ms: number; open: () => void }[] = [];
  const policy: RestartPolicy = {
    delayMs: (n) => n * 1000,
    wait: (ms) => new Promise<void>((open) => waits.push({ ms, open })),
    stableMs,
  };
  return { policy, waits };
}

/** How long a restart, a line or an exit may take on a loaded machine. */
const WAIT_MS = 15_000;

const running: ServiceProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop(1000)));
});

/** A service process running `app` on `port`, stopped after the test. */
function service(port: number, app = APP): ServiceProcess {
  const proc = new ServiceProcess({
    name: 'svc',
    args: ['-e', app],
    cwd: tmpdir(),
    env: { PORT: String(port) },
    port,
  });
  running.push(proc);
  return proc;
}

async function supervised(policy: RestartPolicy) {
  const port = await freePort();
  const proc = service(port);
  const events: string[] = [];
  const state = { port: port as number | undefined, ports: [port], freePortCalls: 0 };
  proc.start(() => {});
  await proc.waitReady();
  proc.superviseRestarts({
    policy,
    freePort: () => {
      state.freePortCalls++;
      return freePort();
    },
    onLog: () => {},
    onEvent: (m) => events.push(m),
    onDown: () => {
      state.port = undefined;
    },
    onUp: (p) => {
      state.port = p;
      state.ports.push(p);
    },
  });
  return { proc, events, state };
}

const get = async (port: number, path = '/') => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`).catch(() => undefined);
  return res ? `${res.status} ${await res.text()}` : 'no answer';
};

describe('a service that dies gets a new instance, as on Cloud Run', () => {
  it('SIGKILL: a visible line, no instance while waiting, then serving on a new port', async () => {
    const { policy, waits } = gatedPolicy();
    const { proc, events, state } = await supervised(policy);
    const first = proc.pid as number;
    process.kill(first, 'SIGKILL');

    await until(
      () => events.includes('svc exited (SIGKILL); starting a new instance in 1.0 s (restart 1 in a row)'),
      'timed out waiting for the restart line',
      WAIT_MS,
    );
    expect(state.port).toBeUndefined(); // the front answers 503 meanwhile
    expect(waits.map((w) => w.ms)).toEqual([1000]);
    waits[0]?.open();

    await until(
      () => events.find((e) => e.startsWith('svc is serving again')),
      'timed out waiting for serving again',
      WAIT_MS,
    );
    expect(state.port).toBeDefined();
    expect(proc.pid).not.toBe(first);
    expect(await get(state.port as number)).toBe('200 svc');
  });

  it('a crash loop backs off further each time; the exit code is named', async () => {
    const { policy, waits } = gatedPolicy();
    const { events, state } = await supervised(policy);
    await crashTwice(3, { waits, events, state });
    expect(waits.map((w) => w.ms)).toEqual([1000, 2000]);
    expect(events[2]).toBe('svc exited (code 3); starting a new instance in 2.0 s (restart 2 in a row)');
    expect(new Set(state.ports).size).toBe(3);
  });

  it('an instance that stayed up long enough starts the count again', async () => {
    const { policy, waits } = gatedPolicy(0);
    const { events, state } = await supervised(policy);
    await crashTwice(1, { waits, events, state });
    expect(waits.map((w) => w.ms)).toEqual([1000, 1000]);
  });

  it('once its wait is over, a pending restart asks for a port before the event loop turns', async () => {
    // The control for the next test: one turn of the event loop is enough to see a restart begin.
    const { policy, waits } = gatedPolicy();
    const { proc, events, state } = await supervised(policy);
    process.kill(proc.pid as number, 'SIGKILL');
    await until(() => events.length === 1, 'timed out waiting for the restart line', WAIT_MS);
    expect(state.freePortCalls).toBe(0);
    waits[0]?.open();
    await new Promise((r) => setImmediate(r));
    expect(state.freePortCalls).toBe(1);
  });

  it('stop() while a restart is pending starts nothing new', async () => {
    const { policy, waits } = gatedPolicy();
    const { proc, events, state } = await supervised(policy);
    process.kill(proc.pid as number, 'SIGKILL');
    await until(() => events.length === 1, 'timed out waiting for the restart line', WAIT_MS);
    await proc.stop(1000);
    waits[0]?.open();
    // The same turn of the event loop in which the control above saw its restart ask for a port.
    await new Promise((r) => setImmediate(r));
    expect(state.freePortCalls).toBe(0);
    expect(proc.running).toBe(false);
  });

  it('by default: the first restart at once, then 1 s, 2 s, 4 s … up to 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(DEFAULT_RESTARTS.delayMs)).toEqual([
      0, 1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
  });
});

/** Makes the instance exit with `code` twice, letting each gated restart through in turn. */
async function crashTwice(
  code: number,
  at: {
    waits: { open: () => void }[];
    events: string[];
    state: { port?: number | undefined };
  },
): Promise<void> {
  for (const round of [1, 2]) {
    await get(at.state.port as number, `/exit?code=${code}`);
    await until(() => at.waits.length === round, `timed out waiting for restart ${round}`, WAIT_MS);
    at.waits[round - 1]?.open();
    await until(
      () => at.events.filter((e) => e.includes('serving again')).length === round,
      `timed out waiting for serving ${round}`,
      WAIT_MS,
    );
  }
}

describe('a process that cannot be started', () => {
  it('is not running, says why, and stop() returns instead of waiting forever', async () => {
    const proc = new ServiceProcess({
      name: 'svc',
      args: ['-e', ''],
      cwd: '/nonexistent/meshapps/app',
      env: {},
      port: 1,
    });
    proc.start(() => {});
    await expect(proc.waitReady(2000)).rejects.toThrow(/svc exited before it was ready/);
    expect(proc.running).toBe(false);
    expect(await proc.stop()).toBeNull();
  });
});

describe('readiness is proven by the process itself, not by whoever answers on its port', () => {
  let foreign: Server | undefined;
  afterEach(async () => {
    await new Promise((r) => (foreign ? foreign.close(r) : r(undefined)));
    foreign = undefined;
  });

  it('another process that took the port first and answers /healthz 200 is not taken for ours', async () => {
    // What two stacks started side by side can do: both pick the same free port, the other binds first.
    const port = await freePort();
    foreign = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => foreign?.listen(port, '127.0.0.1', r));
    expect(await get(port, '/healthz')).toBe('200 ok'); // the impostor does answer

    const proc = service(port);
    proc.start(() => {});
    await expect(proc.waitReady(10_000)).rejects.toThrow(/svc exited before it was ready/);
    expect(proc.lostPortRace()).toBe(true); // so start-apps picks another port
  });

  it('a process that answers /healthz but never says it listens on its own port is not ready', async () => {
    const port = await freePort();
    // Says it listens on some other port, never on its own.
    const app = APP.replace(
      "'Server listening at http://127.0.0.1:' + port",
      "'Server listening at http://127.0.0.1:' + (port + 1)",
    );
    expect(app).not.toBe(APP);
    const proc = service(port, app);
    const said: string[] = [];
    proc.start((l) => said.push(l.line));
    await until(() => said.length > 0, 'timed out waiting for its line', WAIT_MS);
    expect(await get(port, '/healthz')).toBe('200 ok');
    await expect(proc.waitReady(300)).rejects.toThrow(
      `svc did not say it listens on port ${port} within 300 ms`,
    );
  });

  it('a new instance that loses its port to another process starts on another at once: not a crash', async () => {
    const { policy, waits } = gatedPolicy();
    const proc = service(await freePort());
    proc.start(() => {});
    await proc.waitReady();
    const taken = await freePort();
    foreign = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => foreign?.listen(taken, '127.0.0.1', r));
    const events: string[] = [];
    let picks = 0;
    let up: number | undefined;
    proc.superviseRestarts({
      policy,
      freePort: () => (picks++ === 0 ? Promise.resolve(taken) : freePort()),
      onLog: () => {},
      onEvent: (m) => events.push(m),
      onDown: () => {},
      onUp: (port) => {
        up = port;
      },
    });
    process.kill(proc.pid as number, 'SIGKILL');
    await until(() => waits.length === 1, 'timed out waiting for the restart line', WAIT_MS);
    waits[0]?.open();
    await until(
      () => events.find((e) => e.startsWith('svc is serving again')),
      'timed out waiting for serving again',
      WAIT_MS,
    );
    expect(picks).toBe(2);
    expect(up).not.toBe(taken);
    expect(await get(up as number)).toBe('200 svc');
    // One restart, one wait: the lost port was not counted as a crash.
    expect(waits).toHaveLength(1);
    expect(events.filter((e) => e.includes('starting a new instance'))).toHaveLength(1);
  });

  it('an instance that died before supervision began still gets a new one', async () => {
    const { policy, waits } = gatedPolicy();
    const port = await freePort();
    const proc = service(port);
    proc.start(() => {});
    await proc.waitReady();
    process.kill(proc.pid as number, 'SIGKILL');
    await until(() => !proc.running, 'timed out waiting for the exit', WAIT_MS);
    const events: string[] = [];
    proc.superviseRestarts({
      policy,
      freePort,
      onLog: () => {},
      onEvent: (m) => events.push(m),
      onDown: () => {},
      onUp: () => {},
    });
    expect(events).toEqual(['svc exited (SIGKILL); starting a new instance in 1.0 s (restart 1 in a row)']);
    waits[0]?.open();
    await until(
      () => events.find((e) => e.startsWith('svc is serving again')),
      'timed out waiting for serving again',
      WAIT_MS,
    );
  });
});
