import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { type Ports, toDocumentedAddresses, toRealAddresses } from './addresses.ts';
import { type Step, stepsOf } from './console-block.ts';
import { type Match, matchOutput } from './expect.ts';
import type { Fence } from './markdown.ts';

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

export interface Stack {
  ports: Ports;
  startOutput: string[];
}

const SEPARATOR = '\u001eDOCS-CHECK-STATUS';
const START = 'pnpm start';
/** What pnpm prints before running a script (suppressed by --silent); not part of the output. */
const PNPM_BANNER = /^\n?> \S+ \S+ [^\n]*\n> [^\n]*\n\n?/;

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

function runBash(source: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-c', source], {
      cwd: REPO_ROOT,
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

function stripBanner(command: string, output: string): string {
  const silent = /^pnpm\s+(--silent|-s)\b/.test(command);
  return command.startsWith('pnpm ') && !silent ? output.replace(PNPM_BANNER, '') : output;
}

const lines = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));

function compareStart(fence: Fence, step: Step, stack: Stack): BlockResult {
  const output = lines(toDocumentedAddresses(stack.startOutput.join('\n'), stack.ports));
  const match = matchOutput(step.expected, output);
  const problems = match.ok ? [] : [`${fence.file}:${step.line}: $ ${START}: ${match.reason}`];
  return { fence, ok: match.ok, steps: [{ step, status: null, output, stderr: '', match }], problems };
}

/** Runs one runnable block against the stack and compares each command's output with the docs. */
export async function runBlock(fence: Fence, stack: Stack, timeoutMs = 60_000): Promise<BlockResult> {
  const steps = stepsOf(fence);
  const first = steps[0];
  if (first && first.command.trim() === START) {
    if (steps.length > 1)
      return {
        fence,
        ok: false,
        steps: [],
        problems: [`${fence.file}:${fence.line}: "$ ${START}" must be alone in its block`],
      };
    return compareStart(fence, first, stack);
  }
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
      raw = await runBash(script(commands, errDir), env, timeoutMs);
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
      const output = lines(toDocumentedAddresses(stripBanner(step.command, stdout), stack.ports));
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
    return { fence, ok: problems.length === 0, steps: results, problems };
  } finally {
    rmSync(errDir, { recursive: true, force: true });
  }
}

/**
 * Runs every block, in order. A block that appears word for word in several files (the English
 * and Japanese chapters share their blocks by rule) runs once and counts for each copy.
 */
export async function runBlocks(
  fences: Fence[],
  stack: Stack,
  onResult?: (r: BlockResult, reused: boolean) => void,
): Promise<BlockResult[]> {
  const byText = new Map<string, BlockResult>();
  const results: BlockResult[] = [];
  for (const fence of fences) {
    const key = fence.body.join('\n');
    const earlier = byText.get(key);
    const result = earlier
      ? {
          ...earlier,
          fence,
          problems: earlier.problems.map((p) => `${fence.file}:${fence.line}: same block as ${p}`),
        }
      : await runBlock(fence, stack);
    byText.set(key, earlier ?? result);
    results.push(result);
    onResult?.(result, earlier !== undefined);
  }
  return results;
}
