import { runSourceCli } from '@meshapps/test-fixtures';
import { describe, expect, it } from 'vitest';

const CLI = 'packages/deploy/src/cli.ts';
const FLAGS = ['--project', 'p', '--region', 'r', '--repository', 'repo', '--tag', 't', '--network', 'n'];

describe('pnpm deploy:commands', () => {
  it('takes its flags after the `--` pnpm passes along, as the other CLIs do', async () => {
    const run = await runSourceCli(CLI, ['--', ...FLAGS, '--subnet', 's']);
    expect(run.code).toBe(0);
    expect(run.out).toContain('gcloud beta run deploy');
  });

  it('an unknown flag is a usage error (exit 2), not a stack trace', async () => {
    const run = await runSourceCli(CLI, [...FLAGS, '--subnet', 's', '--nope']);
    expect(run.code).toBe(2);
    expect(run.out).toMatch(/Unknown option '--nope'[\s\S]*usage: pnpm --silent deploy:commands/);
    expect(run.out).not.toMatch(/\n\s+at /);
  });
});
