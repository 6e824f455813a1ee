import { type ChildProcess, fork } from 'node:child_process';
import type { ClosedLoopJob, ClosedLoopResult, OpenLoopJob, OpenLoopResult } from './load-runner.ts';

/** The parent's handle on the load-generator process: one job at a time. */
export class LoadGenerator {
  private readonly child: ChildProcess;

  constructor() {
    this.child = fork(new URL('./load-process.ts', import.meta.url), [], {
      execArgv: ['--conditions=source'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  open(job: Omit<OpenLoopJob, 'kind'>): Promise<OpenLoopResult> {
    return this.run({ kind: 'open', ...job }) as Promise<OpenLoopResult>;
  }

  closed(job: Omit<ClosedLoopJob, 'kind'>): Promise<ClosedLoopResult> {
    return this.run({ kind: 'closed', ...job }) as Promise<ClosedLoopResult>;
  }

  private run(job: OpenLoopJob | ClosedLoopJob): Promise<OpenLoopResult | ClosedLoopResult> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`load generator exited (${code})`));
      this.child.once('exit', onExit);
      this.child.once(
        'message',
        (result: OpenLoopResult | ClosedLoopResult | { kind: 'error'; message: string }) => {
          this.child.off('exit', onExit);
          if (result.kind === 'error') reject(new Error(`load generator: ${result.message}`));
          else resolve(result);
        },
      );
      this.child.send(job);
    });
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
  }
}
