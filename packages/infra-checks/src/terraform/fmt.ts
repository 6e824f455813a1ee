import { spawnSync } from 'node:child_process';

/** `terraform fmt -check -recursive`; undefined when no terraform binary is installed. */
export function terraformFmtCheck(dir: string): { ok: boolean; output: string } | undefined {
  const probe = spawnSync('terraform', ['version'], { encoding: 'utf8' });
  if (probe.error) return undefined;
  const r = spawnSync('terraform', ['fmt', '-check', '-recursive', '-diff', dir], { encoding: 'utf8' });
  return {
    ok: r.status === 0,
    output: `${r.stdout}${r.stderr}`.replace(/.*CLI configuration[\s\S]*?╵\n?/g, ''),
  };
}
