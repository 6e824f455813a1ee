import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { saysListeningOn } from './ports.ts';
import { readInTurns, spawnReadInTurns } from './read-in-turns.ts';

// Preloaded into every instance: it ends the instance when this process is gone (see the file).
// src/ runs as TypeScript (Node strips the types), dist/ as JavaScript.
const LIFELINE = new URL(
  import.meta.url.endsWith('.ts') ? './app-lifeline.ts' : './app-lifeline.js',
  import.meta.url,
).href;

export interface ProcessSpec {
  name: string;
  /** Node arguments: flags, then the entry file. */
  args: string[];
  cwd: string;
  env: Record<string, string>;
  port: number;
}

export interface LogLine {
  service: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

/** When a new instance starts after one died: Cloud Run starts one at once, a crash loop backs off. */
export interface RestartPolicy {
  /** Wait before the n-th restart in a row (n = 1, 2, …). */
  delayMs: (restart: number) => number;
  /** How the wait is done (tests hold it to look at the service while it is down). */
  wait: (ms: number) => Promise<void>;
  /** An instance that stayed up this long starts the count again. */
  stableMs: number;
}

export const DEFAULT_RESTARTS: RestartPolicy = {
  delayMs: (n) => (n <= 1 ? 0 : Math.min(30_000, 1000 * 2 ** (n - 2))),
  // Unref'd: a pending restart never keeps a stopping mesh alive.
  wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()),
  stableMs: 60_000,
};

export interface RestartHooks {
  policy: RestartPolicy;
  freePort: () => Promise<number>;
  onLog: (line: LogLine) => void;
  /** A line for the participant: what died, and what happens next. */
  onEvent: (message: string) => void;
  /** The service has no instance (the front answers 503) / has one again on `port`. */
  onDown: () => void;
  onUp: (port: number) => void;
}

/**
 * Runs one service as its own Node process, as Cloud Run runs one container per instance:
 * start, wait until it answers on $PORT, start a new instance when it dies (superviseRestarts),
 * and on stop send SIGTERM, then SIGKILL after 10 s.
 */
export class ServiceProcess {
  spec: ProcessSpec;
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  private readonly stderrTail: string[] = [];
  private stopping = false;
  private restarts = 0;
  private upSince = 0;
  private lastExit: string | undefined;
  private spawnFailed = false;
  /** This very process said it listens on its $PORT (see saysListeningOn). */
  private saidListening = false;
  /** Settles once the process is gone and its output read to the end (its last stderr line in). */
  private closed: Promise<void> = Promise.resolve();

  constructor(spec: ProcessSpec) {
    this.spec = spec;
  }

  start(onLog: (line: LogLine) => void): void {
    // Its output is read in turns, as a logging agent reads it (read-in-turns.ts).
    const child = spawnReadInTurns(process.execPath, ['--import', LIFELINE, ...this.spec.args], {
      cwd: this.spec.cwd,
      env: this.spec.env,
      // Descriptor 3 is the lifeline: we hold its other end and never write; the preload ends
      // the instance when it reads end-of-file (this process gone, however it went).
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      // Its own process group (as a container is its own world): a Ctrl-C in the terminal goes to
      // `pnpm start`'s group only, which then drains and stops the apps in order. The mesh
      // signals the group, so whatever an app started goes with it.
      detached: true,
    });
    this.child = child;
    this.lastExit = undefined;
    this.spawnFailed = false;
    this.saidListening = false;
    // 'exit' may come before the last output is read; 'close' comes after (or 'error', never spawned).
    this.closed = new Promise((resolve) => {
      child.once('close', () => resolve());
      child.once('error', () => resolve());
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.lastExit = describeExit(code, signal);
        resolve(code ?? (signal ? 128 : null));
      });
      // A process that could not be started emits 'error' and no 'exit': settle here, or stop()
      // would wait forever (and, unheard, the error would take the mesh down).
      child.once('error', (err) => {
        this.spawnFailed = true;
        this.lastExit = `could not start: ${err.message}`;
        resolve(null);
      });
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      const input = child[stream] as Readable;
      readInTurns(input);
      const rl = createInterface({ input });
      rl.on('line', (line) => {
        onLog({ service: this.spec.name, stream, line });
        if (this.child !== child) return; // a late line of an instance already replaced
        if (stream === 'stdout' && !this.saidListening)
          this.saidListening = saysListeningOn(line, this.spec.port);
        if (stream === 'stderr') {
          this.stderrTail.push(line);
          if (this.stderrTail.length > 20) this.stderrTail.shift();
        }
      });
    }
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** True when the process died because its $PORT was taken. */
  lostPortRace(): boolean {
    return !this.running && this.stderrTail.some((l) => l.includes('EADDRINUSE'));
  }

  restartOn(port: number, onLog: (line: LogLine) => void): void {
    this.spec = { ...this.spec, port, env: { ...this.spec.env, PORT: String(port) } };
    this.stderrTail.length = 0;
    this.start(onLog);
  }

  get running(): boolean {
    const child = this.child;
    return child !== undefined && !this.spawnFailed && child.exitCode === null && child.signalCode === null;
  }

  /**
   * Resolves when this process has said it listens on its port and GET /healthz answers 200 there;
   * rejects if the process dies or time runs out. A 200 alone is not enough: every service shares
   * one loopback, so a port picked free can be bound first by another process (another stack's
   * app), whose /healthz answers while ours dies of EADDRINUSE. Only one process can listen on
   * 127.0.0.1:PORT, where apps listen and we ask, so our own "listening" line proves the answer ours.
   */
  async waitReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) {
        await this.closed; // its stderr read to the end: lostPortRace() and the message see all of it
        throw new Error(`${this.spec.name} exited before it was ready:\n${this.stderrTail.join('\n')}`);
      }
      if (this.saidListening && (await this.answersHealthz())) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(
      this.saidListening
        ? `${this.spec.name} did not answer /healthz on port ${this.spec.port} within ${timeoutMs} ms`
        : `${this.spec.name} did not say it listens on port ${this.spec.port} within ${timeoutMs} ms (no "listening at" line on stdout)`,
    );
  }

  private async answersHealthz(): Promise<boolean> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.spec.port}/healthz`, {
        signal: AbortSignal.timeout(1000),
      });
      await res.arrayBuffer();
      return res.ok;
    } catch {
      return false; // not answering yet
    }
  }

  /**
   * From now on (the instance is ready), an exit nobody asked for starts a new instance on a
   * fresh port, with backoff, until stop().
   */
  superviseRestarts(hooks: RestartHooks): void {
    this.upSince = Date.now();
    this.watchExit(hooks);
  }

  private watchExit(hooks: RestartHooks): void {
    const child = this.child;
    if (!child) return;
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      if (this.stopping || this.child !== child) return;
      hooks.onDown();
      this.startNewInstance(describeExit(code, signal), hooks).catch((err: unknown) =>
        hooks.onEvent(`${this.spec.name}: no new instance could be started: ${(err as Error).message}`),
      );
    };
    // Died between its ready answer and now: 'exit' has fired already and would not fire again.
    if (child.exitCode !== null || child.signalCode !== null) onExit(child.exitCode, child.signalCode);
    else child.once('exit', onExit);
  }

  private async startNewInstance(why: string, hooks: RestartHooks): Promise<void> {
    const name = this.spec.name;
    if (Date.now() - this.upSince >= hooks.policy.stableMs) this.restarts = 0;
    for (let exit = why; ; ) {
      this.restarts++;
      const delay = hooks.policy.delayMs(this.restarts);
      hooks.onEvent(
        `${name} exited (${exit}); starting a new instance${delay > 0 ? ` in ${(delay / 1000).toFixed(1)} s (restart ${this.restarts} in a row)` : ''}`,
      );
      await hooks.policy.wait(delay);
      if (this.stopping) return;
      const started = performance.now();
      const port = await this.startOnFreePort(hooks.freePort, hooks.onLog).catch(() => undefined);
      if (port === undefined) {
        if (this.stopping) return;
        // Died while starting, or never answered: that counts as a crash too (its stderr is shown).
        const hung = this.running;
        if (hung) {
          this.signalGroup('SIGKILL');
          await this.exited;
        }
        exit = !hung
          ? (this.lastExit ?? 'unknown')
          : this.saidListening
            ? 'no answer on /healthz in time'
            : 'never said it listens on its port';
        continue;
      }
      if (this.stopping) return;
      this.upSince = Date.now();
      hooks.onUp(port);
      hooks.onEvent(
        `${name} is serving again (new instance ready in ${Math.round(performance.now() - started)} ms)`,
      );
      this.watchExit(hooks);
      return;
    }
  }

  /**
   * Starts this service on a port picked free and waits until it is ready; returns the port. A
   * port another process bound first is not a failure of ours: once more on another port.
   */
  async startOnFreePort(freePort: () => Promise<number>, onLog: (line: LogLine) => void): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      if (this.stopping) throw new Error(`${this.spec.name} is stopping`);
      this.restartOn(port, onLog);
      try {
        await this.waitReady();
        return port;
      } catch (err) {
        if (attempt >= 2 || this.stopping || !this.lostPortRace()) throw err;
      }
    }
  }

  /**
   * Last resort when the mesh itself is going away without a stop(): never leave orphans. The
   * apps are in their own group, so nothing else would end them (synchronous: runs at 'exit').
   * When not even 'exit' runs (SIGKILL, a V8 abort), the lifeline does the same from the app's side.
   */
  killNow(): void {
    this.stopping = true;
    if (this.running) this.signalGroup('SIGKILL');
  }

  async stop(graceMs = 10_000): Promise<number | null> {
    this.stopping = true;
    if (!this.child || !this.running) return this.exited;
    this.signalGroup('SIGTERM');
    const timer = setTimeout(() => this.signalGroup('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** The instance's whole process group (its pid is the group's id, as it was spawned detached). */
  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is gone already.
    }
  }
}

/** "SIGKILL", or "code 1": how Cloud Run's logs would name the end of a container. */
function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ?? `code ${code}`;
}
