// pnpm --silent deploy:commands --project P --region R --repository REPO --tag T --network N --subnet S
//   [--public-entry all_users|invoker_iam_disabled]
// Prints the bash script Cloud Build runs to deploy a new revision of every topology service.
import { parseArgs } from 'node:util';
import { loadTopology, TOPOLOGY_FILE } from '@meshapps/mesh-config';
import { type DeployTarget, deployScript, PUBLIC_ENTRY, type PublicEntry } from './commands.ts';

const NAMES = ['project', 'region', 'repository', 'tag', 'network', 'subnet'] as const;
const options: Record<string, { type: 'string'; default?: string }> = {
  ...Object.fromEntries(NAMES.map((n) => [n, { type: 'string' as const }])),
  'public-entry': { type: 'string', default: 'all_users' },
};
const usage = `usage: pnpm --silent deploy:commands ${NAMES.map((n) => `--${n} <${n}>`).join(' ')} [--public-entry ${PUBLIC_ENTRY.join('|')}]`;
let values: Record<string, string | undefined>;
try {
  // `pnpm deploy:commands -- --project x` passes the `--` along, as the other CLIs accept.
  values = parseArgs({ args: process.argv.slice(2).filter((a) => a !== '--'), options })
    .values as typeof values;
} catch (err) {
  console.error(`${(err as Error).message}\n${usage}`);
  process.exit(2);
}
const missing = NAMES.filter((n) => !values[n]);
if (missing.length > 0) {
  console.error(`missing ${missing.map((m) => `--${m}`).join(', ')}\n${usage}`);
  process.exit(2);
}
const publicEntry = values['public-entry'] as string;
if (!(PUBLIC_ENTRY as readonly string[]).includes(publicEntry)) {
  console.error(
    `--public-entry ${publicEntry}: expected ${PUBLIC_ENTRY.join(' or ')} (Terraform's public_entry)\n${usage}`,
  );
  process.exit(2);
}
const target = { ...values, publicEntry: publicEntry as PublicEntry } as unknown as DeployTarget;
process.stdout.write(deployScript(loadTopology(TOPOLOGY_FILE), target));
