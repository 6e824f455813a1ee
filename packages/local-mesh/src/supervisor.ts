import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

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

/**
 * Runs one service as its own Node process, as Cloud Run runs one container per instance:
 * start, wait until it answers on $PORT, and on stop send SIGTERM, then SIGKILL after 10 s.
 */
export class ServiceProcess {
  spec: ProcessSpec;
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  private readonly stderrTail: string[] = [];

  constructor(spec: ProcessSpec) {
    this.spec = spec;
  }

  start(onLog: (line: LogLine) => void): void {
    const child = spawn(process.execPath, this.spec.args, {
      cwd: this.spec.cwd,
      env: this.spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))),
    );
    for (const stream of ['stdout', 'stderr'] as const) {
      const rl = createInterface({ input: child[stream] as NodeJS.ReadableStream });
      rl.on('line', (line) => {
        if (stream === 'stderr') {
          this.stderrTail.push(line);
          if (this.stderrTail.length > 20) this.stderrTail.shift();
        }
        onLog({ service: this.spec.name, stream, line });
      });
    }
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
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when GET /healthz answers 200; rejects if the process dies or time runs out. */
  async waitReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) {
        throw new Error(`${this.spec.name} exited before it was ready:\n${this.stderrTail.join('\n')}`);
      }
      try {
        const res = await fetch(`http://127.0.0.1:${this.spec.port}/healthz`, {
          signal: AbortSignal.timeout(1000),
        });
        await res.arrayBuffer();
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(
      `${this.spec.name} did not answer /healthz on port ${this.spec.port} within ${timeoutMs} ms`,
    );
  }

  /** Last resort when the mesh itself is going away without a stop(): never leave orphans. */
  killNow(): void {
    if (this.running) this.child?.kill('SIGKILL');
  }

  async stop(graceMs = 10_000): Promise<number | null> {
    if (!this.child || !this.running) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
