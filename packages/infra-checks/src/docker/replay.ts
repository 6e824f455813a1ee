import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { copyContext } from './context.ts';
import { lineage, parseDockerfile, type Stage } from './dockerfile.ts';

/**
 * Replays the Dockerfile's build stage without Docker: the build context (per .dockerignore) is
 * copied to a temp "container filesystem", then the stage's ARG/ENV/WORKDIR/COPY/RUN run in order
 * with the host's Node and pnpm standing in for the toolchain stage (same Node major as the base
 * image, pnpm at packageManager's version). The final stage's `COPY --from` is done for real, so
 * the result must run on its own, and its CMD is what `startApp` runs.
 */
export interface ReplayOptions {
  root: string;
  app: string;
  /** Empty temp directory to work in. */
  tmp: string;
  dockerfile?: string;
  log?: (line: string) => void;
}

export interface ReplayResult {
  appDir: string;
  cmd: string[];
  env: Record<string, string>;
  user: string | undefined;
  baseImages: string[];
}

/** What the toolchain stage may do: the host's Node + pnpm stand in for exactly this. */
const TOOLCHAIN_RUN = /^corepack enable$/;

export function replayBuild(opts: ReplayOptions): ReplayResult {
  const stages = parseDockerfile(readFileSync(opts.dockerfile ?? join(opts.root, 'Dockerfile'), 'utf8'));
  const final = stages[stages.length - 1];
  if (!final) throw new Error('Dockerfile has no stage');
  const copyFrom = final.instructions.find((i) => i.op === 'COPY' && i.flags.from !== undefined);
  const [src, dest, extra] = copyFrom?.args.split(/\s+/) ?? [];
  const build = stages.find((s) => s.name === copyFrom?.flags.from);
  if (!build || !src || !dest || extra !== undefined) {
    throw new Error('the final stage must COPY --from=<build stage> <dir> <dir>');
  }

  const fsRoot = join(opts.tmp, 'fs');
  const context = join(opts.tmp, 'context');
  mkdirSync(fsRoot, { recursive: true });
  copyContext(opts.root, context);
  const inContainer = (p: string) => join(fsRoot, p);

  const env: Record<string, string> = hostEnv();
  let workdir = '/';
  const chain = lineage(stages, build);
  // Refuse before running anything: an absolute path would escape the temp "container".
  for (const ins of build.instructions) {
    if (ins.op === 'RUN' && /(^|[\s=])\/[A-Za-z]/.test(ins.args)) {
      throw new Error(
        `Dockerfile line ${ins.line}: RUN uses an absolute path; keep build commands relative to WORKDIR`,
      );
    }
  }
  for (const stage of chain) {
    const replayed = stage === build;
    for (const ins of stage.instructions) {
      const where = `Dockerfile line ${ins.line}`;
      if (ins.op === 'ENV') for (const [k, v] of ins.properties) env[k] = v ?? '';
      else if (ins.op === 'ARG') {
        for (const [k, v] of ins.properties) env[k] = k === 'APP' ? opts.app : (v ?? '');
      } else if (ins.op === 'WORKDIR') {
        workdir = isAbsolute(ins.args) ? ins.args : join(workdir, ins.args);
        mkdirSync(inContainer(workdir), { recursive: true });
      } else if (ins.op === 'RUN' && !replayed) {
        if (!TOOLCHAIN_RUN.test(ins.args))
          throw new Error(
            `${where}: toolchain stage runs "${ins.args}", which the replay cannot stand in for`,
          );
      } else if (ins.op === 'RUN') {
        opts.log?.(`RUN ${ins.args}`);
        const r = spawnSync('sh', ['-c', ins.args], { cwd: inContainer(workdir), env, encoding: 'utf8' });
        opts.log?.(`${r.stdout}${r.stderr}`);
        if (r.status !== 0)
          throw new Error(`${where}: RUN ${ins.args} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
      } else if (ins.op === 'COPY' && replayed && Object.keys(ins.flags).length > 0) {
        throw new Error(`${where}: COPY ${Object.keys(ins.flags).map((f) => `--${f}`)} is not replayable`);
      } else if (ins.op === 'COPY' && replayed) {
        const parts = ins.args.split(/\s+/);
        const target = parts.pop() as string;
        const to = inContainer(isAbsolute(target) ? target : join(workdir, target));
        for (const part of parts)
          cpSync(join(context, part), part === '.' ? to : join(to, part), { recursive: true });
      } else {
        throw new Error(
          `${where}: ${ins.op} in ${replayed ? 'the build' : 'the toolchain'} stage is not replayable`,
        );
      }
    }
  }

  // The final stage: a fresh base image plus only the copied build output.
  const appDir = join(opts.tmp, 'final', dest);
  cpSync(inContainer(src), appDir, { recursive: true, verbatimSymlinks: true });
  const finalEnv: Record<string, string> = {};
  let user: string | undefined;
  let cmd: string[] | undefined;
  for (const ins of final.instructions) {
    if (ins.op === 'ENV') for (const [k, v] of ins.properties) finalEnv[k] = v ?? '';
    if (ins.op === 'USER') user = ins.args;
    if (ins.op === 'CMD') cmd = ins.exec;
  }
  if (!cmd) throw new Error('the final stage needs an exec-form CMD (["node", …]) so node runs as PID 1');
  return { appDir, cmd, env: finalEnv, user, baseImages: [...chain, final].map((s: Stage) => s.from) };
}

/** The host environment minus the npm/pnpm variables of the `pnpm test` run that started us. */
function hostEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^npm_/i.test(k) && !/^PNPM_SCRIPT/i.test(k)) env[k] = v;
  }
  return env;
}

export interface RunningApp {
  port: number;
  stop: () => Promise<number | null>;
}

/** Starts the built app with its image CMD on a free port and waits until it listens. */
export function startApp(result: ReplayResult, extraEnv: Record<string, string>): Promise<RunningApp> {
  const [command, ...args] = result.cmd;
  const child = spawn(command as string, args, {
    cwd: result.appDir,
    env: { PATH: process.env.PATH ?? '', ...result.env, PORT: '0', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`app did not start listening within 15 s:\n${output}`));
    }, 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (!m) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve({
        port: Number(m[1]),
        stop: () =>
          new Promise((done) => {
            child.once('exit', (code) => done(code));
            child.kill('SIGTERM');
          }),
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`app exited with ${code} before listening:\n${output}`));
    });
  });
}
