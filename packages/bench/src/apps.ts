import { type ChildProcess, spawn } from 'node:child_process';
import { get } from 'node:http';
import { freePort, saysListeningOn } from '@meshapps/local-mesh';

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

/**
 * Starts `node <args>` with PORT set and polls GET / every 2 ms until it answers 200; then waits
 * for the process's own "listening at …:PORT" line, the proof that the 200 came from it and not
 * from another process that took the port first (that one's start is retried once on a new port).
 * Logs are then dropped (a pipe, as on Cloud Run, where an agent reads stdout).
 */
export async function startApp(
  spec: AppSpec,
  { timeoutMs = 30_000, pickPort = freePort }: { timeoutMs?: number; pickPort?: () => Promise<number> } = {},
): Promise<BenchApp> {
  try {
    return await startOnce(spec, timeoutMs, await pickPort());
  } catch (err) {
    if (!(err as Error).message.includes('EADDRINUSE')) throw err;
    return startOnce(spec, timeoutMs, await pickPort());
  }
}

async function startOnce(spec: AppSpec, timeoutMs: number, port: number): Promise<BenchApp> {
  const started = performance.now();
  const child = spawn(process.execPath, spec.args, {
    cwd: spec.cwd,
    // Loopback, as the local mesh runs apps: only one process can listen on 127.0.0.1:PORT (a
    // wildcard listener may share it on macOS), so the "listening" line proves the answers ours.
    env: { ...spec.env, PORT: String(port), LISTEN_ADDRESS: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  // After 'close' the last of stderr is in (it may still be open at 'exit').
  const closed = new Promise((resolve) => child.once('close', resolve));
  const saidListening = ownListeningLine(child, port);
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  let firstOkMs: number;
  try {
    await firstOk(child, url, started + timeoutMs);
    firstOkMs = performance.now() - started;
    await until(
      child,
      saidListening,
      started + timeoutMs,
      `no "listening at …:${port}" line on stdout in time`,
    );
  } catch (err) {
    child.kill('SIGKILL');
    await closed;
    throw new Error(`${spec.name}: ${(err as Error).message}\n${stderr}`);
  }
  return { name: spec.name, pid: child.pid as number, port, url, firstOkMs, stop: () => stop(child) };
}

/** Reads stdout until the process says it listens on `port`, then drops the rest. */
function ownListeningLine(child: ChildProcess, port: number): () => boolean {
  let said = false;
  let pending = '';
  child.stdout?.setEncoding('utf8');
  const read = (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = (lines.pop() ?? '').slice(-4000);
    if (!lines.some((line) => saysListeningOn(line, port))) return;
    said = true;
    child.stdout?.off('data', read);
    child.stdout?.resume();
  };
  child.stdout?.on('data', read);
  return () => said;
}

async function firstOk(child: ChildProcess, url: string, deadline: number): Promise<void> {
  while (performance.now() < deadline) {
    if (exited(child)) throw new Error('exited before answering');
    if ((await status(`${url}/`)) === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error('no 200 on GET / in time');
}

async function until(
  child: ChildProcess,
  done: () => boolean,
  deadline: number,
  late: string,
): Promise<void> {
  while (!done()) {
    if (exited(child)) throw new Error("exited after a 200 on its port: that answer was another process's");
    if (performance.now() > deadline) throw new Error(late);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
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
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
