import { startMesh } from '@meshapps/local-mesh/mesh-process';
import { REPO_ROOT } from '@meshapps/mesh-config';
import type { Ports } from './addresses.ts';

export interface RunningStack {
  /** The repository copy it runs in (sandbox.ts); the blocks run there too. */
  root: string;
  /** The options after `pnpm start --`, as the guide's `$ pnpm start …` block gives them. */
  args: string[];
  ports: Ports;
  /** What `pnpm start` printed up to and including its "ready." line. */
  startOutput: string[];
  stop: () => Promise<void>;
}

const READY_LINE = /^local-mesh\s+ready\. /;

const portOf = (url: string) => Number(new URL(url).port);

export interface StackOptions {
  /** The repository (copy) to run in; default this repository. */
  root?: string;
  /** Options as after `pnpm start --`. */
  args?: string[];
  timeoutMs?: number;
}

/**
 * `pnpm start -- ARGS` exactly as a participant runs it, except on free ports (`--port 0` …), with
 * a ready file to learn them, and with `--even-splits`: the guide's five `split:check` blocks judge
 * random draws at 99.9 %, so together they would fail about one run in 170 with nothing wrong.
 * The flag replaces the mesh's one source of randomness, so fault-injection rolls and retry jitter
 * become an even sweep too. It prints nothing, so the start output still reads as the guide shows
 * it; the statistics themselves are tested on their own (split-stats.test.ts, resilience routes
 * with a seeded random). NO_COLOR keeps the guide's output.
 */
export async function startStack(opts: StackOptions = {}): Promise<RunningStack> {
  const root = opts.root ?? REPO_ROOT;
  const args = opts.args ?? [];
  const mesh = await startMesh({
    root,
    args: [...args, '--even-splits'],
    timeoutMs: opts.timeoutMs ?? 60_000,
    readyWhen: (run) => run.stdout.some((l) => READY_LINE.test(l)),
  });
  const readyAt = mesh.stdout.findIndex((l) => READY_LINE.test(l));
  return {
    root,
    args,
    ports: {
      lb: portOf(mesh.ready.loadBalancerUrl),
      participant: portOf(mesh.ready.participantUrl),
      traceViewer: portOf(mesh.ready.traceViewerUrl),
    },
    startOutput: mesh.stdout.slice(0, readyAt + 1),
    stop: async () => {
      await mesh.stop();
    },
  };
}

const sameArgs = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The one stack the guide talks to at a time. The guide restarts `pnpm start` with other options
 * where a demo needs them (`$ pnpm start -- --env …` alone in a block); so does this, only when a
 * block that really runs needs the other options, the previous stack draining meanwhile.
 */
export class Stacks {
  private current: RunningStack | undefined;
  private readonly stopping: Promise<void>[] = [];
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  /** The running stack if it has these options; otherwise a new one, the previous one stopped. */
  async get(args: readonly string[] = []): Promise<RunningStack> {
    if (this.current && sameArgs(this.current.args, args)) return this.current;
    if (this.current) this.stopping.push(this.current.stop());
    this.current = undefined;
    this.current = await startStack({ root: this.root, args: [...args] });
    return this.current;
  }

  async stop(): Promise<void> {
    if (this.current) this.stopping.push(this.current.stop());
    this.current = undefined;
    await Promise.all(this.stopping);
  }
}
