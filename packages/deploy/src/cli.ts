// pnpm --silent deploy:commands --project P --region R --repository REPO --tag T --network N --subnet S
// Prints the bash script Cloud Build runs to deploy a new revision of every topology service.
import { parseArgs } from 'node:util';
import { loadTopology, TOPOLOGY_FILE } from '@meshapps/mesh-config';
import { type DeployTarget, deployScript } from './commands.ts';

const NAMES = ['project', 'region', 'repository', 'tag', 'network', 'subnet'] as const;
const { values } = parseArgs({
  options: Object.fromEntries(NAMES.map((n) => [n, { type: 'string' as const }])),
});
const missing = NAMES.filter((n) => !values[n]);
if (missing.length > 0) {
  console.error(`missing ${missing.map((m) => `--${m}`).join(', ')}`);
  console.error(`usage: pnpm --silent deploy:commands ${NAMES.map((n) => `--${n} <${n}>`).join(' ')}`);
  process.exit(2);
}
process.stdout.write(deployScript(loadTopology(TOPOLOGY_FILE), values as unknown as DeployTarget));
