import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '@meshapps/test-fixtures';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../src/ports.ts';

const SUPERVISOR = join(import.meta.dirname, '..', 'src', 'supervisor.ts');

// An app that writes down every signal it gets (to a file: a pipe may be cut when it dies), and
// that starts a child of its own, as an app may.
const APP = `
const { appendFileSync } = require('node:fs');
const note = (line) => appendFileSync(process.env.EVENTS, line + '\\n');
process.on('SIGINT', () => note('app got SIGINT'));
process.on('SIGTERM', () => { note('app got SIGTERM'); process.exit(0); });
const child = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
note('app ' + process.pid + ' started ' + child.pid);
require('node:http').createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening at http://127.0.0.1:' + process.env.PORT));
`;

// The mesh in miniature: one supervised app; Ctrl-C stops it in order, as cli.ts does; an exit
// without stop() takes it along, as start-apps.ts arranges.
const MESH = `
import { ServiceProcess } from ${JSON.stringify(SUPERVISOR)};
const [port, events] = process.argv.slice(1);
const app = new ServiceProcess({ name: 'svc', args: ['-e', ${JSON.stringify(APP)}], cwd: ${JSON.stringify(tmpdir())}, env: { PORT: port, EVENTS: events }, port: Number(port) });
process.on('exit', () => app.killNow());
process.on('SIGINT', async () => {
  await app.stop(5000);
  process.stdout.write('mesh stopped the app\\n');
  process.exit(0);
});
process.on('SIGUSR2', () => process.exit(1));
app.start(() => {});
await app.waitReady();
process.stdout.write('mesh ready\\n');
setInterval(() => {}, 1000);
`;

/** Alive and not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** How long the mesh may take to start, or to stop what it started, on a loaded machine. */
const WAIT_MS = 15_000;

let dir: string;
const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** The mesh in a process group of its own, as a shell runs a foreground job. */
async function startMesh(): Promise<{ mesh: ChildProcess; out: () => string; events: () => string[] }> {
  dir = mkdtempSync(join(tmpdir(), 'meshapps-signals-'));
  const eventsFile = join(dir, 'events');
  const mesh = spawn(
    process.execPath,
    ['--input-type=module', '-e', MESH, String(await freePort()), eventsFile],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  started.push(mesh.pid as number);
  let out = '';
  mesh.stdout?.on('data', (c) => {
    out += c;
  });
  mesh.stderr?.on('data', (c) => {
    out += c;
  });
  const events = () => {
    try {
      return readFileSync(eventsFile, 'utf8').trim().split('\n');
    } catch {
      return [];
    }
  };
  await until(
    () => out.includes('mesh ready') || mesh.exitCode !== null,
    'timed out waiting for mesh ready',
    WAIT_MS,
  );
  expect(out).toContain('mesh ready');
  const [, app, , grandchild] = (events()[0] ?? '').split(' ');
  started.push(Number(app), Number(grandchild));
  return { mesh, out: () => out, events };
}

describe('the apps run in their own process group', () => {
  it('Ctrl-C (SIGINT to the mesh’s group) reaches only the mesh, which stops the app with SIGTERM', async () => {
    const { mesh, out, events } = await startMesh();
    const [, app, , grandchild] = (events()[0] as string).split(' ').map(Number);
    // What the terminal does on Ctrl-C: the signal to the foreground process group.
    process.kill(-(mesh.pid as number), 'SIGINT');
    await until(
      () => out().includes('mesh stopped the app'),
      'timed out waiting for the mesh to stop the app',
      WAIT_MS,
    );
    expect(events()).toContain('app got SIGTERM');
    expect(events()).not.toContain('app got SIGINT');
    // The stop went to the app's group: what the app started is gone too.
    await until(
      () => !alive(app as number) && !alive(grandchild as number),
      'timed out waiting for app and its child gone',
      WAIT_MS,
    );
  });

  it('a mesh that exits without stop() takes the app and what it started with it (SIGKILL to the group)', async () => {
    const { mesh, events } = await startMesh();
    const [, app, , grandchild] = (events()[0] as string).split(' ').map(Number);
    expect(alive(app as number) && alive(grandchild as number)).toBe(true);
    mesh.kill('SIGUSR2');
    await until(
      () => !alive(app as number) && !alive(grandchild as number),
      'timed out waiting for app and its child gone',
      WAIT_MS,
    );
    expect(events()).not.toContain('app got SIGTERM');
  });

  it('a mesh SIGKILLed (no code of its own runs) still takes the app and its child: the lifeline reads end-of-file', async () => {
    const { mesh, events } = await startMesh();
    const [, app, , grandchild] = (events()[0] as string).split(' ').map(Number);
    expect(alive(app as number) && alive(grandchild as number)).toBe(true);
    mesh.kill('SIGKILL');
    await until(
      () => !alive(app as number) && !alive(grandchild as number),
      'timed out waiting for app and its child gone',
      WAIT_MS,
    );
    expect(events()).not.toContain('app got SIGTERM');
  });
});
