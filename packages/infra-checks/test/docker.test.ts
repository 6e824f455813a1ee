import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';
import { copyContext } from '../src/docker/context.ts';
import { parseDockerfile } from '../src/docker/dockerfile.ts';
import { replayBuild, startApp } from '../src/docker/replay.ts';
import { tempDir } from './helpers.ts';

/**
 * No Docker engine here: the Dockerfile's build stage is replayed line by line (RUN lines run as
 * written, in a copy of the build context), the final stage's COPY --from is done for real, and
 * the result is started with the image's CMD. Only `target` is built here (the slowest part of
 * the suite); `pnpm infra:check --docker client,proxy,target` replays all three.
 */
const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');

describe('Dockerfile', () => {
  it('builds from node:24-slim with the pinned pnpm, runs as a non-root user with node as PID 1', () => {
    const stages = parseDockerfile(dockerfile);
    expect(stages.map((s) => s.from)).toEqual(['node:24-slim', 'toolchain', 'node:24-slim']);
    const final = stages[stages.length - 1];
    expect(final?.instructions.find((i) => i.op === 'USER')?.args).toBe('node');
    expect(final?.instructions.find((i) => i.op === 'CMD')?.args).toBe(
      '["node", "--import", "@meshapps/telemetry/register", "dist/main.js"]',
    );
    // The replay stands in the host toolchain for the toolchain stage: it must be the same one.
    expect(process.versions.node.split('.')[0]).toBe('24');
    const pinned = /"packageManager": "pnpm@([\d.]+)\+/.exec(
      readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'),
    )?.[1];
    expect(spawnSync('pnpm', ['--version'], { encoding: 'utf8' }).stdout.trim()).toBe(pinned);
  });

  it('keeps installed and built files out of the build context', () => {
    const copied = copyContext(REPO_ROOT, tempDir('context'));
    expect(copied).toContain('pnpm-lock.yaml');
    expect(copied).toContain('apps/target/src/main.ts');
    expect(copied.filter((f) => /(^|\/)(node_modules|dist|\.git|\.tools|\.turbo)\//.test(f))).toEqual([]);
  });

  it('builds target (the build stage replayed), and the image answers /healthz and stops on SIGTERM', async () => {
    const result = replayBuild({ root: REPO_ROOT, app: 'target', tmp: tempDir('image') });
    expect(result.user).toBe('node');
    // Production dependencies only: no dev tools in the image.
    expect(existsSync(join(result.appDir, 'node_modules/typescript'))).toBe(false);
    expect(existsSync(join(result.appDir, 'dist/main.js'))).toBe(true);
    // Only what runs (decision 052): no sources, tests, type declarations, source maps or
    // Markdown docs, and no polyfill Node never loads.
    const shipped = readdirSync(result.appDir, { recursive: true, encoding: 'utf8' });
    expect(shipped.filter((f) => /\.d\.[cm]?ts$|\.map$/.test(f))).toEqual([]);
    expect(shipped.filter((f) => /(^|@meshapps\/[^/]+\/)(src|test)\//.test(f))).toEqual([]);
    expect(shipped.filter((f) => /\.md$/i.test(f) && !/licen[cs]e/i.test(f))).toEqual([]);
    expect(shipped.filter((f) => f.includes('web-streams-polyfill'))).toEqual([]);
    const app = await startApp(result, { OTEL_SDK_DISABLED: 'true', K_SERVICE: 'target1' });
    const res = await fetch(`http://127.0.0.1:${app.port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    const body = await (await fetch(`http://127.0.0.1:${app.port}/`)).json();
    expect(body).toMatchObject({ message: 'target1' });
    expect(await app.stop()).toBe(0);
  }, 120_000);

  it('catches a Dockerfile that does not build (a filter that matches no package)', () => {
    const tmp = tempDir('bad-image');
    const broken = join(tmp, 'Dockerfile');
    writeFileSync(
      broken,
      dockerfile.replace('--filter "@meshapps/${APP}..."', '--filter "@meshapps/${APP}-app..."'),
    );
    expect(() =>
      replayBuild({ root: REPO_ROOT, app: 'target', tmp: join(tmp, 'work'), dockerfile: broken }),
    ).toThrow(/RUN pnpm --filter "@meshapps\/\$\{APP\}-app\.\.\." .*failed[\s\S]*No projects matched/);
  }, 120_000);

  it('refuses build steps it cannot replay faithfully', () => {
    const tmp = tempDir('abs-image');
    const absolute = join(tmp, 'Dockerfile');
    writeFileSync(absolute, dockerfile.replace('--prod deploy out', '--prod deploy /out'));
    expect(() =>
      replayBuild({ root: REPO_ROOT, app: 'target', tmp: join(tmp, 'work'), dockerfile: absolute }),
    ).toThrow(/absolute path/);
  });
});

describe('parseDockerfile (dockerfile-ast)', () => {
  it('joins continuations, reads ENV/ARG properties, flags and exec-form CMD', () => {
    const [stage] = parseDockerfile(
      [
        'FROM node:24-slim AS build',
        'ARG APP',
        'ENV A=1 B="two words"',
        'COPY --from=toolchain /x /y',
        'RUN find out \\( -name "*.md" \\) \\',
        '    -delete',
        'CMD node main.js',
        'CMD ["node", "main.js"]',
      ].join('\n'),
    );
    expect(stage).toMatchObject({ from: 'node:24-slim', name: 'build' });
    const [arg, env, copy, run, shellCmd, execCmd] = stage?.instructions ?? [];
    expect(arg?.properties).toEqual([['APP', undefined]]);
    expect(env?.properties).toEqual([
      ['A', '1'],
      ['B', 'two words'],
    ]);
    expect(copy).toMatchObject({ op: 'COPY', flags: { from: 'toolchain' }, args: '/x /y' });
    expect(run).toMatchObject({ line: 5, op: 'RUN' });
    expect(run?.args).toMatch(/^find out \\\( -name "\*\.md" \\\)\s+-delete$/);
    expect(shellCmd?.exec).toBeUndefined();
    expect(execCmd?.exec).toEqual(['node', 'main.js']);
  });

  it('refuses a comment inside a continued instruction (Docker drops it; sh -c would stop there)', () => {
    expect(() => parseDockerfile('FROM a\nRUN one \\\n  # note\n  two\n')).toThrow(
      /line 2: a comment inside a continued RUN/,
    );
  });

  it('refuses an instruction before FROM', () => {
    expect(() => parseDockerfile('RUN x\nFROM a\n')).toThrow(/line 1: RUN before FROM/);
  });
});
