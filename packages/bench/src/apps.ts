import { type ChildProcess, spawn } from 'node:child_process';
import { get } from 'node:http';
import { createServer } from 'node:net';

/** An app process the bench started itself (outside the local mesh's supervisor). */
export interface BenchApp {
  name: string;
  pid: number;
  port: number;
  url: string;
  /** From spawn to the first 200 on GET / (what a caller waits for after a cold start). */
  firstOkMs: number;
  stop(): Promise<void>;
}

export interface AppSpec {
  name: string;
  /** Node arguments: flags, then the entry file. */
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

/** Started and not yet stopped: killed if the bench itself exits early (never leave orphans). */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/**
 * Starts `node <args>` with PORT set and polls GET / every 2 ms until it answers 200. Logs are
 * read and dropped (a pipe, as on Cloud Run, where an agent reads stdout).
 */
export async function startApp(spec: AppSpec, timeoutMs = 30_000): Promise<BenchApp> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, spec.args, {
    cwd: spec.cwd,
    env: { ...spec.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.stdout?.resume();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await firstOk(child, url, started + timeoutMs);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${spec.name}: ${(err as Error).message}\n${stderr}`);
  }
  return {
    name: spec.name,
    pid: child.pid as number,
    port,
    url,
    firstOkMs: performance.now() - started,
    stop: () => stop(child),
  };
}

async function firstOk(child: ChildProcess, url: string, deadline: number): Promise<void> {
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('exited before answering');
    if ((await status(`${url}/`)) === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error('no 200 on GET / in time');
}

function status(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
