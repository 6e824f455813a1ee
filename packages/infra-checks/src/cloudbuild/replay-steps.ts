import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import type { BuildConfig, BuildStep } from './shape.ts';

/**
 * Cloud Build's Node steps replayed without Cloud Build: each `node:` step's script, exactly as
 * the config declares it, runs in `workspace` (the build's /workspace: the upload and nothing
 * else), as soon as the steps it waits for have passed (waitFor, as Cloud Build schedules: none =
 * every earlier step, '-' = at once), with the step's env and the substitutions as environment
 * variables (automapSubstitutions). The host's Node and pnpm stand in for the
 * node image (same Node major, pnpm at packageManager's version), and `corepack enable` is all
 * of corepack they stand in for. Steps on other images need Docker, provider downloads or a
 * cloud project; they are listed, not run, and count as done for the steps that wait for them.
 * After a failure no further step starts, as a failure ends a build.
 */
export interface ReplayedStep {
  id: string;
  ok: boolean;
  code: number | null;
  seconds: number;
  output: string;
}

export interface StepNotReplayed {
  id: string;
  image: string;
}

export interface StepsReplay {
  ran: ReplayedStep[];
  notReplayed: StepNotReplayed[];
}

export interface ReplayStepsOptions {
  config: BuildConfig;
  workspace: string;
  /** Values of built-in substitutions (PROJECT_ID…); user substitutions take their defaults. */
  builtIns?: Record<string, string>;
  /** Per step, in milliseconds. */
  timeout?: number;
  log?: (line: string) => void;
}

const DEFAULT_BUILT_INS: Record<string, string> = {
  PROJECT_ID: 'replay-project',
  PROJECT_NUMBER: '123456789012',
  BUILD_ID: 'replay-build',
  LOCATION: 'global',
  COMMIT_SHA: '0123456789abcdef0123456789abcdef01234567',
  SHORT_SHA: '0123456',
};

export async function replayNodeSteps(opts: ReplayStepsOptions): Promise<StepsReplay> {
  const { config, workspace } = opts;
  const tools = mkdtempSync(join(tmpdir(), 'meshapps-replay-tools-'));
  try {
    const path = standInPath(tools, workspace);
    const substitutions = substitutionValues(config, { ...DEFAULT_BUILT_INS, ...opts.builtIns });
    const out: StepsReplay = { ran: [], notReplayed: [] };
    let failed = false;
    const ids = new Map(config.steps.map((s, i) => [s.id ?? `steps[${i}]`, i]));
    const done: Promise<void>[] = [];
    for (const [i, step] of config.steps.entries()) {
      const id = step.id ?? `steps[${i}]`;
      const deps =
        step.waitFor === undefined
          ? done.slice(0, i)
          : step.waitFor.flatMap((w) => (w === '-' ? [] : [done[ids.get(w) ?? -1] ?? Promise.resolve()]));
      if (!step.name.startsWith('node:') || step.script === undefined) {
        out.notReplayed.push({ id, image: step.name });
        done.push(Promise.all(deps).then(() => undefined));
        continue;
      }
      const script = step.script;
      const automap = step.automapSubstitutions ?? config.options?.automapSubstitutions === true;
      const env = {
        ...baseEnv(path, workspace),
        ...(automap ? substitutions : {}),
        ...stepEnv(step, workspace),
      };
      done.push(
        Promise.all(deps).then(async () => {
          if (failed) return;
          const ran = await runScript(id, script, workspace, env, tools, opts.timeout ?? 600_000);
          opts.log?.(`${ran.ok ? 'ok  ' : 'FAIL'} ${id} (${ran.seconds.toFixed(1)} s)`);
          out.ran.push(ran);
          failed ||= !ran.ok;
        }),
      );
    }
    await Promise.all(done);
    return out;
  } finally {
    rmSync(tools, { recursive: true, force: true });
  }
}

/** The script as a file: its shebang, or Cloud Build's default /bin/sh; /workspace is `workspace`. */
function runScript(
  id: string,
  script: string,
  workspace: string,
  env: Record<string, string>,
  tools: string,
  timeout: number,
): Promise<ReplayedStep> {
  const text = script.replaceAll('/workspace', workspace);
  const file = join(tools, `step-${id.replace(/[^\w-]/g, '_')}`);
  writeFileSync(file, text.startsWith('#!') ? text : `#!/bin/sh\n${text}`);
  chmodSync(file, 0o755);
  const started = performance.now();
  return new Promise((resolve) => {
    // Its own process group, so a timeout ends the whole step (pnpm, turbo, tsc…), not only its shell.
    const child = spawn(file, [], { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const keep = (chunk: Buffer) => {
      // The end of the output is what explains a failure; keep at most the last 1 MB.
      output = (output + chunk.toString()).slice(-1_000_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      output += `\nstep timed out after ${timeout / 1000} s`;
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, timeout);
    const finish = (code: number | null, error?: Error) => {
      clearTimeout(timer);
      resolve({
        id,
        ok: !error && code === 0,
        code,
        seconds: (performance.now() - started) / 1000,
        output: error ? `${output}\n${error.message}` : output,
      });
    };
    child.once('error', (err) => finish(null, err));
    child.once('close', (code) => finish(code));
  });
}

/**
 * PATH for the steps: a `corepack` that only enables (the host's pnpm is already the pinned one),
 * then the host's PATH without any node_modules/.bin (the steps must use the workspace's own).
 */
function standInPath(tools: string, workspace: string): string {
  const wanted = /"packageManager":\s*"pnpm@([0-9.]+)/.exec(
    readFileSync(join(workspace, 'package.json'), 'utf8'),
  )?.[1];
  const host = spawnSync('pnpm', ['--version'], { encoding: 'utf8' }).stdout?.trim();
  if (!wanted || host !== wanted) {
    throw new Error(
      `the replay stands the host's pnpm in for corepack's: packageManager wants pnpm ${wanted}, the host has ${host || 'none'} (source .ci/toolchain.sh)`,
    );
  }
  writeFileSync(
    join(tools, 'corepack'),
    [
      '#!/bin/sh',
      "# Stand-in for the node image's corepack: the host's pnpm is the version packageManager pins.",
      '[ "$1" = enable ] && [ $# -eq 1 ] && exit 0',
      'echo "corepack $*: the replay stands in only for \\"corepack enable\\"" >&2',
      'exit 1',
      '',
    ].join('\n'),
  );
  chmodSync(join(tools, 'corepack'), 0o755);
  const hostPath = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((p) => p && !/[/\\]node_modules[/\\]\.bin$/.test(p));
  // The host's node and pnpm may live in a node_modules/.bin (.ci/toolchain.sh's .tools): keep theirs.
  const nodeDir = dirname(process.execPath);
  const pnpmDir = dirname(spawnSync('sh', ['-c', 'command -v pnpm'], { encoding: 'utf8' }).stdout.trim());
  return [tools, nodeDir, pnpmDir, ...hostPath].join(delimiter);
}

/**
 * Only what a build container has: PATH and HOME, no variables of the run that started us. git
 * may not look above the workspace (in Cloud Build nothing above /workspace is a repository).
 * Installs take what the local store has first (the registry otherwise).
 */
function baseEnv(path: string, workspace: string): Record<string, string> {
  return {
    PATH: path,
    HOME: process.env.HOME ?? '/root',
    LANG: 'C.UTF-8',
    GIT_CEILING_DIRECTORIES: dirname(workspace),
    npm_config_prefer_offline: 'true',
  };
}

function stepEnv(step: BuildStep, workspace: string): Record<string, string> {
  return Object.fromEntries(
    (step.env ?? []).map((e) => {
      const [k, ...v] = e.replaceAll('/workspace', workspace).split('=');
      return [k as string, v.join('=')];
    }),
  );
}

/** User substitutions at their defaults; `${X}` in a default expands (dynamicSubstitutions). */
function substitutionValues(config: BuildConfig, builtIns: Record<string, string>): Record<string, string> {
  const values: Record<string, string> = { ...builtIns };
  for (const [k, v] of Object.entries(config.substitutions ?? {})) {
    values[k] = config.options?.dynamicSubstitutions
      ? v.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => builtIns[name] ?? '')
      : v;
  }
  return values;
}
