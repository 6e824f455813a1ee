import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chapterFiles, docFiles, LANGUAGES, loadDoc } from '../src/docs.ts';
import type { Fence } from '../src/markdown.ts';
import { type BlockResult, runBlock, runBlocks } from '../src/run-blocks.ts';
import { type RunningStack, startStack } from '../src/stack.ts';

/**
 * Every runnable block of README.md and of both languages, against ONE `pnpm start` on free
 * ports. The planted drifts run against the same stack: a guide that stops matching the code
 * must fail here.
 */
let stack: RunningStack;
let results: BlockResult[];

const runnable = (files: string[]) =>
  files.map((f) => loadDoc(f)).flatMap((d) => d.fences.filter((f) => f.kind === 'runnable'));

beforeAll(async () => {
  stack = await startStack();
  results = await runBlocks(runnable(docFiles()), stack);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
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

  it('fails a command that exits non-zero unless the block shows the status with echo $?', async () => {
    const base = firstBlock('README.md', '{"message":"client <- proxy"}');
    const failing: Fence = { ...base, body: ['$ curl -sf localhost:8080/call/target1.meshapps.internal'] };
    const r = await runBlock(failing, stack);
    expect(r.problems.join('\n')).toMatch(/exit status 22/);
    const shown: Fence = { ...base, body: [...failing.body, '$ echo $?', '22'] };
    expect((await runBlock(shown, stack)).problems).toEqual([]);
  });
});
