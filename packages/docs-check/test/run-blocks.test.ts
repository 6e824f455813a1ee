import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chapterFiles, LANGUAGES, loadDoc } from '../src/docs.ts';
import type { Fence } from '../src/markdown.ts';
import { type DocsRun, runAllBlocks } from '../src/run-all.ts';
import { type BlockResult, runBlock, startArgs, withoutPnpmLines } from '../src/run-blocks.ts';
import { changedFiles, type Sandbox } from '../src/sandbox.ts';
import type { RunningStack } from '../src/stack.ts';

/**
 * Every runnable block: README.md in a developer's terminal, both languages' chapters as a
 * participant in Cloud Shell (tabs, a reconnect, an older Node until the setup line), against
 * `pnpm start` on free ports — one stack, restarted where the guide restarts it — in a copy of the
 * repository cloned where Cloud Shell clones it. The planted drifts run against the plain stack:
 * a guide that stops matching the code must fail here.
 */
let run: DocsRun;
let sandbox: Sandbox;
let stack: RunningStack;
let results: BlockResult[];
const routeFile = 'infra/routes/target.yaml';
const routeBefore = readFileSync(join(REPO_ROOT, routeFile), 'utf8');

const runnable = (files: string[]) =>
  files.map((f) => loadDoc(f)).flatMap((d) => d.fences.filter((f) => f.kind === 'runnable'));

beforeAll(async () => {
  run = await runAllBlocks();
  ({ results, sandbox } = run);
  stack = await run.stacks.get([]);
}, 480_000);

afterAll(async () => {
  await run?.remove();
});

/** A copy of a block with one documented line replaced. */
function planted(fence: Fence, from: string, to: string): Fence {
  const body = fence.body.map((l) => (l.includes(from) ? l.replace(from, to) : l));
  expect(body).not.toEqual(fence.body);
  return { ...fence, body };
}

const firstBlock = (file: string, containing: string): Fence => {
  const fence = runnable([file]).find((f) => f.body.some((l) => l.includes(containing)));
  if (!fence) throw new Error(`no runnable block with ${containing} in ${file}`);
  return fence;
};

describe('the guide, run against one pnpm start', () => {
  it('prints what every runnable block of README.md and both languages documents', () => {
    const failures = results.filter((r) => !r.ok).flatMap((r) => r.problems);
    expect(failures).toEqual([]);
    // Both languages and the README really contribute blocks (a lost marker would drop them).
    const count = (prefix: string) => results.filter((r) => r.fence.file.startsWith(prefix)).length;
    expect(count('README.md')).toBeGreaterThanOrEqual(6);
    for (const lang of LANGUAGES) expect(count(`docs/workshop/${lang}/`)).toBeGreaterThanOrEqual(15);
    expect(count('docs/workshop/en/')).toBe(count('docs/workshop/ja/'));
  });

  it('fails when a documented output drifts from the real one, naming file and line', async () => {
    const fence = firstBlock(chapterFiles('en')[1] as string, '{"message":"client <- proxy"}');
    const drifted = planted(
      fence,
      '{"message":"client <- proxy"}',
      '{"message":"client <- proxy <- target9"}',
    );
    const r = await runBlock(drifted, stack);
    expect(r.ok).toBe(false);
    expect(r.problems.join('\n')).toMatch(
      /docs\/workshop\/en\/01-simpler-code\.md:\d+: \$ curl .*line 1 differs/,
    );
    expect(r.problems.join('\n')).toContain('real: "{\\"message\\":\\"client <- proxy\\"}"');
  });

  it('fails a drifted Japanese copy on its own, although the English one passes', async () => {
    const fence = firstBlock(chapterFiles('ja')[3] as string, 'lacks roles/run.invoker');
    const r = await runBlock(planted(fence, 'on service target1', 'on service proxy'), stack);
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toContain('docs/workshop/ja/03-iam.md');
  });

  it('does not let a placeholder hide a wrong answer: target-green is not <target2|target3>', async () => {
    const fence = firstBlock(chapterFiles('en')[4] as string, 'for i in $(seq 10)');
    const r = await runBlock(planted(fence, 'target23.meshapps.internal', 'ab.meshapps.internal'), stack);
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toContain('"{\\"message\\":\\"client <- target\\"}"');
  });

  it('compares `$ pnpm start` with the start-up output of the stack it runs against', async () => {
    const fence = firstBlock('README.md', 'local-mesh           ready.');
    expect((await runBlock(fence, stack)).ok).toBe(true);
    const r = await runBlock(planted(fence, 'topology: 9 services', 'topology: 8 services'), stack);
    expect(r.ok).toBe(false);
  });

  it('runs in a copy of the repository, and fails a block that leaves a file changed', async () => {
    const base = firstBlock('README.md', '{"message":"client <- proxy"}');
    const edit: Fence = { ...base, body: [`$ sed -i 's/weight: 99/weight: 98/' ${routeFile}`] };
    const r = await runBlock(edit, stack);
    expect(r.problems.join('\n')).toContain(`leaves ${routeFile} changed`);
    // The copy changed, the working tree of whoever runs the tests did not.
    expect(readFileSync(join(sandbox.root, routeFile), 'utf8')).toContain('weight: 98');
    expect(readFileSync(join(REPO_ROOT, routeFile), 'utf8')).toBe(routeBefore);
    const restore: Fence = { ...base, body: [`$ git checkout -q ${routeFile}`] };
    expect((await runBlock(restore, stack)).problems).toEqual([]);
    expect(changedFiles(sandbox.root)).toEqual([]);
  });

  it('reads `$ pnpm start -- OPTIONS` as a restart with those options, alone in its block', async () => {
    expect(startArgs('pnpm start')).toEqual([]);
    expect(startArgs('pnpm start -- --env target-green:FAIL_PERCENT=20')).toEqual([
      '--env',
      'target-green:FAIL_PERCENT=20',
    ]);
    expect(startArgs('pnpm split:check -- -n 5')).toBeUndefined();
    const base = firstBlock('README.md', 'local-mesh           ready.');
    const other: Fence = { ...base, body: ['$ pnpm start -- --quiet', ...base.body.slice(1)] };
    expect((await runBlock(other, stack)).problems[0]).toContain('not with these options');
    const notAlone: Fence = { ...base, body: ['$ curl localhost:8080/', '$ pnpm start -- --quiet'] };
    expect((await runBlock(notAlone, stack)).problems[0]).toContain('must be alone in its block');
    const notLast: Fence = { ...base, body: ['$ pnpm start', '$ curl localhost:8080/'] };
    expect((await runBlock(notLast, stack)).problems[0]).toContain('must be the last command of its block');
  });

  it("leaves out pnpm's own lines, as pnpm --silent does, and nothing else", () => {
    const banner = '\n> meshapps@ canary /repo\n> node canary.ts --route target\n\n';
    const failed = '\u2009ELIFECYCLE\u2009 Command failed with exit code 1.\n';
    const run = 'step 1/3: target 90\nrolling back\n';
    expect(withoutPnpmLines('pnpm canary -- --route target', banner + run + failed)).toBe(run);
    expect(withoutPnpmLines('pnpm --silent canary', run + failed)).toBe(run + failed);
    expect(withoutPnpmLines('bash x.sh', banner + run)).toBe(banner + run);
    // Only as pnpm prints it, last: a tool's own line that says the same is output.
    const inside = `${run}ELIFECYCLE Command failed with exit code 1. (quoted)\n`;
    expect(withoutPnpmLines('pnpm canary', inside)).toBe(inside);
  });

  it('fails a command that exits non-zero unless the block shows the status with echo $?', async () => {
    const base = firstBlock('README.md', '{"message":"client <- proxy"}');
    const failing: Fence = { ...base, body: ['$ curl -sf localhost:8080/call/target1.meshapps.internal'] };
    const r = await runBlock(failing, stack);
    expect(r.problems.join('\n')).toMatch(/exit status 22/);
    const shown: Fence = { ...base, body: [...failing.body, '$ echo $?', '22'] };
    expect((await runBlock(shown, stack)).problems).toEqual([]);
  });
});
