import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Ports, toDocumentedAddresses, toRealAddresses } from './addresses.ts';
import { type Step, stepsOf } from './console-block.ts';
import { type Match, matchOutput } from './expect.ts';
import type { Fence } from './markdown.ts';
import { changedFiles } from './sandbox.ts';
import { shellWords } from './shell-words.ts';

export interface StepResult {
  step: Step;
  /** Exit status; null for `pnpm start`, which the harness itself ran. */
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

const SEPARATOR = '\u001eDOCS-CHECK-STATUS';
const START = 'pnpm start';

/** `pnpm start` → [], `pnpm start -- --env a:B=1` → ['--env', 'a:B=1']; other commands → undefined. */
export function startArgs(command: string): string[] | undefined {
  const words = shellWords(command.trim());
  if (words[0] !== 'pnpm' || words[1] !== 'start') return undefined;
  if (words.length === 2) return [];
  return words[2] === '--' ? words.slice(3) : undefined;
}

/** The options of a block that is a lone `$ pnpm start …`, or undefined for any other block. */
function startBlockArgs(fence: Fence): string[] | undefined {
  try {
    const steps = stepsOf(fence);
    return steps.length === 1 ? startArgs((steps[0] as Step).command) : undefined;
  } catch {
    return undefined; // reported by the offline checks
  }
}
/** What pnpm prints before running a script (suppressed by --silent); not part of the output. */
const PNPM_BANNER = /^\n?> \S+ \S+ [^\n]*\n> [^\n]*\n\n?/;
/** What pnpm prints after a script that failed (suppressed by --silent); `echo $?` shows the status. */
const PNPM_FAILED = /\n?\u2009?ELIFECYCLE\u2009? Command failed with exit code \d+\.\n?$/;

/**
 * The block as one bash script: each command runs in order in the same shell (so `echo $?` and
 * variables work as in a terminal), its stderr kept apart, its status printed after a separator.
 */
function script(commands: string[], errDir: string): string {
  return commands
    .map(
      (c, i) =>
        `{ ${c}\n} 2>"${errDir}/${i}"\n__status=$?; printf '\\n${SEPARATOR} %d\\n' "$__status"; (exit $__status)`,
    )
    .join('\n');
}

function runBash(source: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-c', source], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    const timer = setTimeout(() => {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
      reject(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/** A pnpm script's output without pnpm's own lines, as `pnpm --silent` would print it. */
export function withoutPnpmLines(command: string, output: string): string {
  const silent = /^pnpm\s+(--silent|-s)\b/.test(command);
  if (!command.startsWith('pnpm ') || silent) return output;
  return output.replace(PNPM_BANNER, '').replace(PNPM_FAILED, '\n');
}

const lines = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));

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

/** Runs one runnable block against the stack and compares each command's output with the docs. */
export async function runBlock(fence: Fence, stack: Stack, timeoutMs = 60_000): Promise<BlockResult> {
  const steps = stepsOf(fence);
  const first = steps[0];
  const args = first && startArgs(first.command);
  if (first && args) {
    if (steps.length > 1)
      return {
        fence,
        ok: false,
        steps: [],
        problems: [`${fence.file}:${fence.line}: "$ ${START}" must be alone in its block`],
      };
    return compareStart(fence, first, args, stack);
  }
  const startedLater = steps.find((s) => startArgs(s.command));
  if (startedLater)
    return {
      fence,
      ok: false,
      steps: [],
      problems: [`${fence.file}:${startedLater.line}: "$ ${START}" must be alone in its block`],
    };
  const errDir = mkdtempSync(join(tmpdir(), 'meshapps-docs-block-'));
  try {
    const env = {
      ...process.env,
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      MESHAPPS_TRACE_VIEWER: `http://127.0.0.1:${stack.ports.traceViewer}`,
      NO_COLOR: '1',
    };
    const commands = steps.map((s) => toRealAddresses(s.command, stack.ports));
    let raw: string;
    try {
      raw = await runBash(script(commands, errDir), stack.root, env, timeoutMs);
    } catch (err) {
      return {
        fence,
        ok: false,
        steps: [],
        problems: [`${fence.file}:${fence.line}: ${(err as Error).message}`],
      };
    }
    const parts = raw.split(new RegExp(`\\n?${SEPARATOR} (\\d+)\\n`));
    const results: StepResult[] = [];
    const problems: string[] = [];
    steps.forEach((step, i) => {
      const stdout = parts[i * 2] ?? '';
      const status = Number(parts[i * 2 + 1] ?? -1);
      let stderr = '';
      try {
        stderr = readFileSync(join(errDir, String(i)), 'utf8');
      } catch {}
      const output = lines(toDocumentedAddresses(withoutPnpmLines(step.command, stdout), stack.ports));
      const match = matchOutput(step.expected, output);
      results.push({ step, status, output, stderr, match });
      const where = `${fence.file}:${step.line}: $ ${step.command.split('\n')[0]}`;
      // A failing command is documented by following it with `echo $?`.
      const statusShown = steps[i + 1]?.command.trim() === 'echo $?';
      if (status !== 0 && !statusShown)
        problems.push(`${where}: exit status ${status}${stderr ? `\n  stderr: ${stderr.trim()}` : ''}`);
      if (!match.ok)
        problems.push(`${where}: ${match.reason}${stderr ? `\n  stderr: ${stderr.trim()}` : ''}`);
    });
    // The next block, like the participant's next step, expects the repository as it was.
    const left = changedFiles(stack.root);
    if (left.length > 0)
      problems.push(
        `${fence.file}:${fence.line}: the block leaves ${left.join(', ')} changed; put it back in the block (git checkout, rm), as the next steps assume`,
      );
    return { fence, ok: problems.length === 0, steps: results, problems };
  } finally {
    rmSync(errDir, { recursive: true, force: true });
  }
}

/**
 * Runs every block, in order, against the stack the guide's last `$ pnpm start …` block asked for
 * (plain `pnpm start` until the first one), restarted only when a block that runs needs other
 * options. A block that appears word for word in several files (the English and Japanese chapters
 * share their blocks by rule) runs once and counts for each copy, under the same options.
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
