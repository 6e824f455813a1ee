import { createServer } from 'node:net';
import type { Ports } from './addresses.ts';
import type { Fence, MarkdownDoc } from './markdown.ts';
import { copyableGroups, reconnectsBefore, setupLine, tabOf } from './participant.ts';
import { type BlockResult, runBlock, type Shell, type Stack, type StackSource } from './run-blocks.ts';
import type { Session, TabStates } from './session.ts';

/**
 * One language's chapters, run as a participant runs them in Cloud Shell (session.ts): each block
 * pasted into its tab (`<!-- tab: N -->`, else the first), a new tab opened in $HOME with Cloud
 * Shell's own Node and no pnpm, every tab and `pnpm start` gone at the reconnect step. The setup
 * line is run wherever it is written — in the Google Cloud blocks too — since the tabs that follow
 * depend on it; the other commands of a block that is not run locally are checked statically
 * (participant.ts). `pnpm start` is started by the harness (on free ports, with --even-splits),
 * once its tab could run it.
 */

/** Ports nobody listens on, for blocks pasted while no `pnpm start` runs: their requests fail. */
async function deadPorts(): Promise<Ports> {
  const one = () =>
    new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
  return { lb: await one(), participant: await one(), traceViewer: await one() };
}

export interface JourneySnapshot {
  tabs: TabStates;
  /** The options `pnpm start` runs with, or undefined when it does not run. */
  stackArgs: string[] | undefined;
}

/**
 * What stands for `pnpm start` and `pnpm install` in a tab: whether they could run there. Prints
 * the reason to `out` (stdout to ask, stderr in place of the command) and fails if they could not.
 */
const pnpmProbe = (clone: string, out: '' | ' >&2') =>
  [
    '(',
    `command -v pnpm >/dev/null || { echo "pnpm: command not found (Cloud Shell has none)"${out}; exit 127; }`,
    `[ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -ge 24 ] || { echo "node $(node --version 2>/dev/null) is older than Node 24, which package.json's engines require"${out}; exit 1; }`,
    `[ "$(pwd -P)" = ${JSON.stringify(clone)} ] || { echo "the tab is in $PWD, not in the clone"${out}; exit 1; }`,
    ')',
  ].join('\n');

export class Journey {
  private stackArgs: string[] | undefined;
  private dead: Ports | undefined;
  private readonly setup: string;

  private readonly session: Session;
  private readonly stacks: StackSource;

  constructor(session: Session, stacks: StackSource, root: string) {
    this.session = session;
    this.stacks = stacks;
    this.setup = setupLine(root);
  }

  snapshot(): JourneySnapshot {
    return { tabs: this.session.snapshot(), stackArgs: this.stackArgs };
  }

  /** Back to a point of another journey of the same session (the same blocks ran up to it). */
  restore(s: JourneySnapshot): void {
    this.session.restoreSnapshot(s.tabs);
    this.stackArgs = s.stackArgs;
  }

  /** A fresh participant: no tab open, no `pnpm start`. */
  async begin(): Promise<void> {
    this.session.reconnect();
    this.stackArgs = undefined;
  }

  private shell(tab: number): Shell {
    const session = this.session;
    return {
      paste: (commands, env, timeoutMs) => session.paste(tab, commands, env, timeoutMs),
      pnpmProbe: pnpmProbe(session.clone, ' >&2'),
      cannotRunPnpm: async () => {
        const probe = await session.paste(tab, [pnpmProbe(session.clone, '')], {}, 10_000);
        const said = probe.commands[0]?.stdout.trim();
        return said ? said : undefined;
      },
    };
  }

  private async currentStack(): Promise<Stack> {
    if (this.stackArgs) return this.stacks.get(this.stackArgs);
    this.dead ??= await deadPorts();
    return { root: this.session.clone, args: [], ports: this.dead, startOutput: [] };
  }

  /** The block's effect on the session, and its result if it is a runnable block. */
  async run(fence: Fence): Promise<BlockResult | undefined> {
    // A reconnect stops `pnpm start`: until the guide starts it again, blocks reach nothing.
    // (The harness's stack keeps running meanwhile, unused; a `pnpm start` with the same options
    // takes it up again instead of paying a restart — the same files, the same processes.)
    if (reconnectsBefore(fence)) {
      this.session.reconnect();
      this.stackArgs = undefined;
    }
    const tab = tabOf(fence);
    if (fence.kind !== 'runnable') {
      // Not run here (Google Cloud, Cloud Shell's own commands): only its setup lines, which the
      // tab keeps for the blocks after it.
      for (const group of copyableGroups(fence))
        for (const c of group.commands)
          if (c.text.trim() === this.setup) await this.session.paste(tab, [this.setup]);
      return undefined;
    }
    return runBlock(fence, await this.currentStack(), {
      shell: this.shell(tab),
      start: async (args) => {
        this.stackArgs = args;
        return this.stacks.get(args);
      },
    });
  }
}

/**
 * Runs the chapters of each language as one participant each. The first language runs every
 * block; a later language whose blocks are word for word the same, in the same order, reuses its
 * results (the chapters share their blocks by rule). From the first block that differs, it goes
 * on from where the first language's participant was at that point, and runs.
 */
export async function runJourneys(
  languages: MarkdownDoc[][],
  journey: Journey,
  onResult?: (r: BlockResult, reused: boolean) => void,
): Promise<BlockResult[]> {
  const results: BlockResult[] = [];
  const [first, ...others] = languages;
  if (!first) return results;
  const fences = (docs: MarkdownDoc[]) => docs.flatMap((d) => d.fences);
  const sameBlock = (a: Fence, b: Fence) =>
    a.info === b.info &&
    JSON.stringify(a.markers) === JSON.stringify(b.markers) &&
    normalised(a.body) === normalised(b.body);
  const before: JourneySnapshot[] = [];
  const firstResults: (BlockResult | undefined)[] = [];
  await journey.begin();
  for (const fence of fences(first)) {
    before.push(journey.snapshot());
    const r = await journey.run(fence);
    firstResults.push(r);
    if (r) {
      results.push(r);
      onResult?.(r, false);
    }
  }
  for (const docs of others) {
    let diverged = false;
    const list = fences(docs);
    for (let i = 0; i < list.length; i++) {
      const fence = list[i] as Fence;
      const mine = fences(first)[i];
      if (!diverged && mine && sameBlock(mine, fence)) {
        const earlier = firstResults[i];
        if (earlier) {
          const reused = {
            ...earlier,
            fence,
            problems: earlier.problems.map((p) => `${fence.file}:${fence.line}: same block as ${p}`),
          };
          results.push(reused);
          onResult?.(reused, true);
        }
        continue;
      }
      if (!diverged) {
        diverged = true;
        journey.restore(before[i] ?? (before.at(-1) as JourneySnapshot));
      }
      const r = await journey.run(fence);
      if (r) {
        results.push(r);
        onResult?.(r, false);
      }
    }
  }
  return results;
}

/** A block's text with the path of its own language's guide made neutral (`teachme …/ja/tutorial.md`). */
export const normalised = (body: string[]) =>
  body.join('\n').replace(/docs\/workshop\/[a-z]{2}\//g, 'docs/workshop/LANG/');
