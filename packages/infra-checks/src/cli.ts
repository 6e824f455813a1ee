// pnpm infra:check [--docker client,proxy,target]
// The offline checks of routes, Terraform, Cloud Build and the docs against the topology, plus
// `terraform fmt -check` when terraform is installed (its absence fails when CI=true). --docker
// also replays the Dockerfile's build stage for the given apps and starts each result (what
// pnpm test does for `target` only).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatErrors, REPO_ROOT } from '@meshapps/mesh-config';
import { checkAll } from './check-all.ts';
import { replayBuild, startApp } from './docker/replay.ts';
import { findTerraform } from './terraform/binary.ts';
import { terraformFmtCheck } from './terraform/fmt.ts';

const { values } = parseArgs({ options: { docker: { type: 'string' } } });
let failed = false;

for (const report of await checkAll(REPO_ROOT)) {
  if (report.errors.length === 0) console.log(`ok    ${report.section}`);
  else {
    failed = true;
    console.log(`FAIL  ${report.section}\n${formatErrors(report.errors)}`);
  }
}

const terraform = findTerraform();
const fmt = terraform.found ? terraformFmtCheck(join(REPO_ROOT, 'infra', 'terraform')) : undefined;
if (!terraform.found) {
  failed ||= terraform.required;
  console.log(`${terraform.required ? 'FAIL' : 'skip'}  terraform fmt: ${terraform.message}`);
} else if (fmt?.ok) console.log('ok    terraform fmt');
else {
  failed = true;
  console.log(`FAIL  terraform fmt (run: terraform fmt -recursive infra/terraform)\n${fmt?.output ?? ''}`);
}

for (const app of values.docker?.split(',').filter(Boolean) ?? []) {
  const tmp = mkdtempSync(join(tmpdir(), `meshapps-image-${app}-`));
  try {
    const started = Date.now();
    const running = await startApp(replayBuild({ root: REPO_ROOT, app, tmp }), {
      OTEL_SDK_DISABLED: 'true',
      K_SERVICE: app,
    });
    const res = await fetch(`http://127.0.0.1:${running.port}/healthz`);
    await running.stop();
    if (res.status !== 200) throw new Error(`/healthz answered ${res.status}`);
    console.log(
      `ok    image ${app} (build stage replayed, /healthz 200, ${Math.round((Date.now() - started) / 1000)} s)`,
    );
  } catch (err) {
    failed = true;
    console.log(`FAIL  image ${app}\n${(err as Error).message}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
process.exitCode = failed ? 1 : 0;
