import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMarkdown } from '../src/markdown.ts';
import { runBlocks, type Stack, type StackSource } from '../src/run-blocks.ts';

/**
 * Which stack each block runs against, with a stand-in for `pnpm start`: a stack that is only its
 * options and its start-up output, in an empty git repository. No process is started.
 */
const root = mkdtempSync(join(tmpdir(), 'meshapps-restarts-'));
spawnSync('git', ['init', '-q'], { cwd: root });
afterAll(() => rmSync(root, { recursive: true, force: true }));

const startedWith = (args: readonly string[]) => `local-mesh  started with [${args.join(' ')}]`;

function source(): StackSource & { asked: string[][] } {
  const asked: string[][] = [];
  return {
    asked,
    get: async (args) => {
      asked.push([...args]);
      const stack: Stack = {
        root,
        args: [...args],
        ports: { lb: 8080, participant: 8081, traceViewer: 16686 },
        startOutput: [startedWith(args)],
      };
      return stack;
    },
  };
}

const block = (...lines: string[]) => ['```console', ...lines, '```', ''].join('\n');
const plain = block('$ pnpm start', startedWith([]));
const failing = block(
  '$ pnpm start -- --env target-green:FAIL_PERCENT=20',
  startedWith(['--env', 'target-green:FAIL_PERCENT=20']),
);
const one = block('$ echo one', 'one');
const two = block('$ echo two', 'two');
const three = block('$ echo three', 'three');
const fences = (file: string, text: string) => parseMarkdown(file, text).fences;

describe('the stack each block runs against', () => {
  it('follows the last `$ pnpm start …` block, restarting only for a block that really runs', async () => {
    const stacks = source();
    const results = await runBlocks(
      [
        // English: plain, then a restart with options, as a chapter asks.
        ...fences('en.md', plain + one + failing + two),
        // Japanese: the same blocks run once (no stack asked for), and the options still follow.
        ...fences('ja.md', plain + one + failing + two),
        // A new block after the Japanese restart runs against the stack with options.
        ...fences('rest.md', three),
      ],
      stacks,
    );
    expect(results.map((r) => r.problems)).toEqual(results.map(() => []));
    const env = ['--env', 'target-green:FAIL_PERCENT=20'];
    expect(stacks.asked).toEqual([[], [], env, env, env]);
  });

  it('runs the same text again under other options, and compares a restart block with its own start-up', async () => {
    const stacks = source();
    const results = await runBlocks(fences('en.md', one + failing + one + plain), stacks);
    expect(stacks.asked).toEqual([
      [],
      ['--env', 'target-green:FAIL_PERCENT=20'],
      ['--env', 'target-green:FAIL_PERCENT=20'],
      [],
    ]);
    expect(results.every((r) => r.ok)).toBe(true);

    const drifted = failing.replace(
      '[--env target-green:FAIL_PERCENT=20]',
      '[--env target-green:FAIL_PERCENT=21]',
    );
    const [result] = await runBlocks(fences('en.md', drifted), source());
    expect(result?.problems[0]).toMatch(
      /en\.md:2: \$ pnpm start -- --env target-green:FAIL_PERCENT=20: line 1 differs/,
    );
  });
});
