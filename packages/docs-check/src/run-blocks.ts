import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Ports, toDocumentedAddresses, toRealAddresses } from './addresses.ts';
import { type Step, stepsOf } from './console-block.ts';
import { type Match, matchOutput } from './expect.ts';
import type { Fence } from './markdown.ts';
import { changedFiles } from './sandbox.ts';
import { type CommandRun, type PasteResult, pasteInto } from './session.ts';
import { shellWords } from './shell-words.ts';

export interface StepResult {
  step: Step;
  /** Exit status; null for `pnpm start`, which the harness itself ran, or a command that never ran. */
  status: number | null;
  /** Output as compared: stdout, the stack's ports shown as the documented ones. */
  output: string[];
  stderr: string;
  match: Match;
}

export interface BlockResult {
  fence: Fence;
  ok: boolean;
  steps: StepResult[];
  /** One line per problem, naming file and line. */
  problems: string[];
}

/** Where the blocks get their stack: `Stacks` (stack.ts), restarting `pnpm start` as asked. */
export interface StackSource {
  get(args: readonly string[]): Promise<Stack>;
}

export interface Stack {
  /** Where the blocks run: the repository copy the stack runs in. */
  root: string;
  /** Its `pnpm start --` options. */
  args: string[];
  ports: Ports;
  startOutput: string[];
}

/**
 * Where a block's commands are pasted: a participant's tab (journey.ts) or, for the README and the
 * reference pages, a developer's terminal in the clone with Node 24 and pnpm on PATH.
 */
export interface Shell {
  paste(commands: string[], env: Record<string, string>, timeoutMs: number): Promise<PasteResult>;
  /** Why `pnpm start` would fail in this shell (no pnpm, an older Node, not in the clone). */
  cannotRunPnpm(): Promise<string | undefined>;
  /** A command that fails, saying why, where `pnpm install` would (pasted in its place). */
  pnpmProbe?: string;
}

/** A developer's terminal: every block starts in the clone with this process's Node and pnpm first on PATH. */
export function developerShell(root: string): Shell {
  const env = () => ({
    ...process.env,
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    NO_COLOR: '1',
  });
  return {
    async paste(commands, extra, timeoutMs) {
      const scratch = mkdtempSync(join(tmpdir(), 'meshapps-docs-block-'));
      try {
        return await pasteInto(commands, {
          scratch,
          cwd: root,
          env: { ...env(), ...extra },
          state: { restore: '', status: 0 },
          timeoutMs,
        });
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    },
    cannotRunPnpm: async () => undefined,
  };
}

const START = 'pnpm start';

/** `pnpm start` → [], `pnpm start -- --env a:B=1` → ['--env', 'a:B=1']; other commands → undefined. */
export function startArgs(command: string): string[] | undefined {
  const words = shellWords(command.trim());
  if (words[0] !== 'pnpm' || words[1] !== 'start') return undefined;
  if (words.length === 2) return [];
  return words[2] === '--' ? words.slice(3) : undefined;
}

/** The options of a block whose last command is `$ pnpm start …`, or undefined for any other block. */
function startBlockArgs(fence: Fence): string[] | undefined {
  try {
    const steps = stepsOf(fence);
    const last = steps.at(-1);
    return last ? startArgs(last.command) : undefined;
  } catch {
    return undefined; // reported by the offline checks
  }
}

/** What pnpm prints before running a script (suppressed by --silent); not part of the output. */
const PNPM_BANNER = /^\n?> \S+ \S+ [^\n]*\n> [^\n]*\n\n?/;
/** What pnpm prints after a script that failed (suppressed by --silent); `echo $?` shows the status. */
const PNPM_FAILED = /\n?\u2009?ELIFECYCLE\u2009? Command failed with exit code \d+\.\n?$/;

/** A pnpm script's output without pnpm's own lines, as `pnpm --silent` would print it. */
export function withoutPnpmLines(command: string, output: string): string {
  const silent = /^pnpm\s+(--silent|-s)\b/.test(command);
  if (!command.startsWith('pnpm ') || silent) return output;
  return output.replace(PNPM_BANNER, '').replace(PNPM_FAILED, '\n');
}

const lines = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));

/**
 * `pnpm install` is not run: the copy shares the installed dependencies (a real install would
 * write into them). In its place, the shell must be able to run it: pnpm on PATH, Node 24, the clone.
 */
const isInstall = (command: string) => /^pnpm\s+(install|i)(\s|$)/.test(command.trim());

function compareStart(fence: Fence, step: Step, args: string[], stack: Stack): BlockResult {
  const where = `${fence.file}:${step.line}: $ ${step.command}`;
  if (args.join('\0') !== stack.args.join('\0'))
    return {
      fence,
      ok: false,
      steps: [],
      problems: [`${where}: the stack runs with "${stack.args.join(' ')}", not with these options`],
    };
  const output = lines(toDocumentedAddresses(stack.startOutput.join('\n'), stack.ports));
  const match = matchOutput(step.expected, output);
  const problems = match.ok ? [] : [`${where}: ${match.reason}`];
  return { fence, ok: match.ok, steps: [{ step, status: null, output, stderr: '', match }], problems };
}

/** The steps of a block in paste groups: commands without output go together, an output ends a group. */
function pasteGroups(steps: Step[]): Step[][] {
  const groups: Step[][] = [];
  let group: Step[] = [];
  for (const step of steps) {
    group.push(step);
    if (step.expected.length > 0) {
      groups.push(group);
      group = [];
    }
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

export interface RunOptions {
  /** Where the commands are pasted; a developer's terminal in `stack.root` if not given. */
  shell?: Shell;
  /**
   * The stack `pnpm start` starts (journey.ts): asked for only once the block's other commands ran
   * and the shell could run pnpm. Without it, `stack` is the one already running.
   */
  start?: (args: string[]) => Promise<Stack | undefined>;
  timeoutMs?: number;
}

/** The result of one pasted command, compared with its documented output. */
function judge(
  fence: Fence,
  steps: Step[],
  i: number,
  run: CommandRun,
  stack: Stack,
  problems: string[],
): StepResult {
  const step = steps[i] as Step;
  const output = lines(toDocumentedAddresses(withoutPnpmLines(step.command, run.stdout), stack.ports));
  const match = matchOutput(step.expected, output);
  const where = `${fence.file}:${step.line}: $ ${step.command.split('\n')[0]}`;
  const stderr = run.stderr ? `\n  stderr: ${run.stderr.trim()}` : '';
  // A failing command is documented by following it with `echo $?`.
  const statusShown = steps[i + 1]?.command.trim() === 'echo $?';
  if (run.status !== null && run.status !== 0 && !statusShown)
    problems.push(`${where}: exit status ${run.status}${stderr}`);
  if (run.status !== null && !match.ok) problems.push(`${where}: ${match.reason}${stderr}`);
  return { step, status: run.status, output, stderr: run.stderr, match };
}

/**
 * Runs one runnable block: its commands pasted group by group into `opts.shell` (as the tutorial's
 * copy buttons split them), each command's output compared with the docs. A last `$ pnpm start …`
 * is compared with the start-up output of the stack the harness runs with those options.
 */
export async function runBlock(fence: Fence, stack: Stack, opts: RunOptions = {}): Promise<BlockResult> {
  const steps = stepsOf(fence);
  const startAt = steps.findIndex((s) => startArgs(s.command));
  if (startAt >= 0 && startAt !== steps.length - 1)
    return {
      fence,
      ok: false,
      steps: [],
      problems: [
        `${fence.file}:${(steps[startAt] as Step).line}: "$ ${START}" must be the last command of its block`,
      ],
    };
  if (startAt > 0 && !opts.shell)
    return {
      fence,
      ok: false,
      steps: [],
      problems: [`${fence.file}:${fence.line}: "$ ${START}" must be alone in its block`],
    };
  const shell = opts.shell ?? developerShell(stack.root);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const env = { MESHAPPS_TRACE_VIEWER: `http://127.0.0.1:${stack.ports.traceViewer}` };
  const commandSteps = startAt >= 0 ? steps.slice(0, startAt) : steps;
  const results: StepResult[] = [];
  const problems: string[] = [];
  let done = 0;
  for (const group of pasteGroups(commandSteps)) {
    const commands = group.map((s) =>
      isInstall(s.command) ? (shell.pnpmProbe ?? ':') : toRealAddresses(s.command, stack.ports),
    );
    const paste = await shell.paste(commands, env, timeoutMs);
    if (paste.timedOut)
      problems.push(`${fence.file}:${(group[0] as Step).line}: timed out after ${timeoutMs} ms`);
    paste.commands.forEach((run, j) => {
      results.push(judge(fence, commandSteps, done + j, run, stack, problems));
    });
    if (paste.unfinished !== undefined && !paste.timedOut) {
      const culprit = group[paste.unfinished] as Step;
      problems.push(
        `${fence.file}:${culprit.line}: $ ${culprit.command.split('\n')[0]}: it read the lines pasted after it (it reads the terminal), so ${group.length - paste.unfinished - 1} command(s) below it never ran: end the copy block with it${paste.shellStderr ? `\n  shell: ${paste.shellStderr.trim()}` : ''}`,
      );
    }
    done += group.length;
  }
  let started = stack;
  if (startAt >= 0) {
    const step = steps[startAt] as Step;
    const args = startArgs(step.command) as string[];
    const why = await shell.cannotRunPnpm();
    const running = why ? undefined : await (opts.start ?? (async () => stack))(args);
    if (!running) {
      problems.push(
        `${fence.file}:${step.line}: $ ${step.command}: it would fail in this tab: ${why ?? 'no stack'}`,
      );
    } else {
      started = running;
      const r = compareStart(fence, step, args, running);
      results.push(...r.steps);
      problems.push(...r.problems);
    }
  }
  // The next block, like the participant's next step, expects the repository as it was.
  const left = changedFiles(started.root);
  if (left.length > 0)
    problems.push(
      `${fence.file}:${fence.line}: the block leaves ${left.join(', ')} changed; put it back in the block (git checkout, rm), as the next steps assume`,
    );
  return { fence, ok: problems.length === 0, steps: results, problems };
}

/**
 * Runs every block of the README and the reference pages, in order, in a developer's terminal,
 * against the stack the last `$ pnpm start …` block asked for (plain `pnpm start` until the first
 * one), restarted only when a block that runs needs other options. A block that appears word for
 * word again runs once and counts for each copy, under the same options. The workshop chapters
 * run as a participant runs them instead (journey.ts).
 */
export async function runBlocks(
  fences: Fence[],
  stacks: StackSource,
  onResult?: (r: BlockResult, reused: boolean) => void,
): Promise<BlockResult[]> {
  const byText = new Map<string, BlockResult>();
  const results: BlockResult[] = [];
  let args: string[] = [];
  for (const fence of fences) {
    args = startBlockArgs(fence) ?? args;
    const key = JSON.stringify([args, fence.body]);
    const earlier = byText.get(key);
    const result = earlier
      ? {
          ...earlier,
          fence,
          problems: earlier.problems.map((p) => `${fence.file}:${fence.line}: same block as ${p}`),
        }
      : await runBlock(fence, await stacks.get(args));
    byText.set(key, earlier ?? result);
    results.push(result);
    onResult?.(result, earlier !== undefined);
  }
  return results;
}
