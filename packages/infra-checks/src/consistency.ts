import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { appsOf, type DeployTarget, deployCommands, imageFor, type PublicEntry } from '@meshapps/deploy';
import type { ConfigError, RouteFile, Topology } from '@meshapps/mesh-config';
import { type BuildStep, buildArgs, type LoadedBuild } from './cloudbuild/check.ts';
import { Findings } from './errors.ts';
import { INGRESS_ENUM } from './terraform/context.ts';
import type { Instance, Plan } from './terraform/plan.ts';
import { block, blocks, normaliseMember, referenced, str } from './terraform/refs.ts';
import { describe } from './terraform/values.ts';

/** gcloud --vpc-egress → Cloud Run v2 enum (`all` is gcloud's deprecated alias of all-traffic). */
const VPC_EGRESS: Record<string, string> = {
  'private-ranges-only': 'PRIVATE_RANGES_ONLY',
  'all-traffic': 'ALL_TRAFFIC',
  all: 'ALL_TRAFFIC',
};

/**
 * Cloud Build, Terraform and the routes must describe the same system as the topology: the same
 * apps and services, the same mesh, network, repository and region, and for every service the
 * same identity, ingress and mesh membership whether Terraform creates it or Cloud Build deploys it.
 */
export interface ConsistencyInput {
  root: string;
  topology: Topology;
  routes: RouteFile[];
  plan: Plan;
  builds: LoadedBuild[];
}

export function checkConsistency(input: ConsistencyInput): ConfigError[] {
  const { root, topology, plan, builds } = input;
  const findings = new Findings(root);
  const main = builds.find((b) => b.file === join(root, 'cloudbuild.yaml'));
  if (!main) {
    findings.add(join(root, 'cloudbuild.yaml'), '(document)', 'missing or invalid');
    return findings.errors;
  }
  const file = main.file;
  const steps = main.config.steps;

  // Each app built exactly once, and only apps the topology runs.
  const apps = steps.filter((s) => s.args?.[0] === 'build').map((s) => buildArgs(s.args ?? []).APP ?? '');
  const wanted = appsOf(topology);
  findings.expect(
    JSON.stringify([...apps].sort()) === JSON.stringify(wanted),
    file,
    'steps',
    `builds images for [${apps.join(', ')}], the topology runs apps [${wanted.join(', ')}] (each exactly once)`,
  );
  for (const app of wanted)
    findings.expect(
      existsSync(join(root, 'apps', app, 'package.json')),
      file,
      'steps',
      `topology app "${app}" has no apps/${app}`,
    );

  // Cloud Build's defaults name what Terraform creates.
  const subs = main.config.substitutions ?? {};
  const vars = plan.evaluator.variables;
  for (const [sub, variable] of [
    ['_REGION', 'region'],
    ['_REPOSITORY', 'repository'],
    ['_MESH_NETWORK', 'network_name'],
    ['_SUBNET', 'subnet_name'],
    ['_PUBLIC_ENTRY', 'public_entry'],
  ] as const) {
    findings.expect(
      subs[sub] === vars[variable],
      file,
      `substitutions.${sub}`,
      `default "${subs[sub]}" differs from Terraform's ${variable} default "${String(vars[variable])}"`,
    );
  }

  // Cloud Build deploys with the generated commands and imports the rendered routes.
  const scripts = steps.map((s) => s.script ?? '').join('\n');
  findings.expect(
    scripts.includes('deploy:commands') && scripts.includes('/workspace/deploy.sh'),
    file,
    'steps',
    'deploy with the commands generated from the topology (pnpm deploy:commands)',
  );
  for (const b of builds) {
    const all = b.config.steps.map((s) => s.script ?? '').join('\n');
    if (!all.includes('routes:render')) continue;
    findings.expect(
      all.includes('import-routes.sh'),
      b.file,
      'steps',
      'render routes and import them with infra/cloudbuild/import-routes.sh',
    );
  }

  checkDeployScriptArgs(findings, file, steps, wanted);

  const target: DeployTarget = {
    project: String(vars.project_id),
    region: String(subs._REGION),
    repository: String(subs._REPOSITORY),
    tag: 'TAG',
    network: String(subs._MESH_NETWORK),
    subnet: String(subs._SUBNET),
    publicEntry: String(subs._PUBLIC_ENTRY) as PublicEntry,
  };
  checkDeployAgainstPlan(findings, file, topology, plan, target);
  return findings.errors;
}

/** `$X`, `${X}`, `"$X"` → `${X}`: one spelling for substitutions and the shell variables automap makes. */
function normaliseRef(text: string): string {
  return text.replace(/^"(.*)"$/, '$1').replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, '${$1}');
}

/** `--name value` / `--name=value` words of the `pnpm … deploy:commands …` command in a script. */
function deployScriptFlags(script: string): Map<string, string> | undefined {
  const line = script
    .replace(/\\\n/g, ' ')
    .split('\n')
    .find((l) => l.includes('deploy:commands'));
  if (!line) return undefined;
  const words = line.replace(/>.*$/, '').trim().split(/\s+/);
  const out = new Map<string, string>();
  words.forEach((w, i) => {
    if (!w.startsWith('--')) return;
    const [k, ...v] = w.slice(2).split('=');
    if (v.length > 0) out.set(k as string, normaliseRef(v.join('=')));
    else if (words[i + 1] && !words[i + 1]?.startsWith('--'))
      out.set(k as string, normaliseRef(words[i + 1] as string));
  });
  return out;
}

/**
 * The deploy script is generated with the substitutions the rest of this check assumes (so the
 * defaults compared with Terraform are the ones deployed), and deploys exactly the images the push
 * steps pushed: same registry path, same tag. A different --tag deploys a stale or missing image.
 */
function checkDeployScriptArgs(
  findings: Findings,
  file: string,
  steps: readonly BuildStep[],
  apps: string[],
): void {
  const i = steps.findIndex((s) => (s.script ?? '').includes('deploy:commands'));
  const args = i >= 0 ? deployScriptFlags(steps[i]?.script ?? '') : undefined;
  if (!args) return;
  const at = `steps[${i}].script`;
  for (const [flag, ref] of [
    ['project', '${PROJECT_ID}'],
    ['region', '${_REGION}'],
    ['repository', '${_REPOSITORY}'],
    ['network', '${_MESH_NETWORK}'],
    ['subnet', '${_SUBNET}'],
    ['public-entry', '${_PUBLIC_ENTRY}'],
  ] as const) {
    findings.expect(
      args.get(flag) === ref,
      file,
      at,
      `deploy:commands --${flag} is ${args.get(flag) ?? 'missing'}, expected ${ref} (the substitution checked against Terraform)`,
    );
  }
  const pushed = new Set(
    steps.flatMap((s) => (s.args?.[0] === 'push' && s.args[1] ? [normaliseRef(s.args[1])] : [])),
  );
  const target = {
    project: args.get('project') ?? '',
    region: args.get('region') ?? '',
    repository: args.get('repository') ?? '',
    tag: args.get('tag') ?? '',
    network: '',
    subnet: '',
  };
  findings.expect(
    args.get('tag') === '${_TAG}',
    file,
    at,
    `deploy:commands --tag is ${args.get('tag') ?? 'missing'}, expected \${_TAG} (triggers default it to the commit; manual builds pass _TAG, never COMMIT_SHA)`,
  );
  for (const app of apps) {
    const image = imageFor(target, app);
    findings.expect(
      pushed.has(image),
      file,
      at,
      `deploys ${image}, which no step pushes (pushed: ${[...pushed].join(', ') || 'none'}): --tag and the registry path must name the pushed images`,
    );
  }
}

/** `--name=value` flags of a command; a bare `--name` maps to '' (a switch). */
function flags(argv: readonly string[]): Map<string, string> {
  return new Map(
    argv
      .filter((a) => a.startsWith('--'))
      .map((a) => {
        const [k, ...v] = a.slice(2).split('=');
        return [k as string, v.join('=')];
      }),
  );
}

/** Every generated `gcloud beta run deploy` agrees with the Cloud Run service Terraform plans. */
function checkDeployAgainstPlan(
  findings: Findings,
  file: string,
  topology: Topology,
  plan: Plan,
  target: DeployTarget,
): void {
  const runs = new Map(plan.ofType('google_cloud_run_v2_service').map((r) => [String(r.config.name), r]));
  const commands = deployCommands(topology, target);
  const deployed = commands.map((argv) => argv[4] as string);
  findings.expect(
    JSON.stringify([...deployed].sort()) === JSON.stringify([...runs.keys()].sort()),
    file,
    'deploy',
    `deploys [${deployed.join(', ')}], Terraform creates [${[...runs.keys()].join(', ')}]`,
  );
  const mesh = plan.ofType('google_network_services_mesh')[0];
  for (const argv of commands) {
    const name = argv[4] as string;
    const f = flags(argv);
    const run = runs.get(name);
    if (!run) continue;
    const at = `deploy ${name}`;
    const template = block(run.config, 'template');
    const account = referenced(plan, template?.service_account);
    findings.expect(
      f.get('service-account') ===
        `${str(account?.config.account_id)}@${target.project}.iam.gserviceaccount.com`,
      file,
      at,
      `--service-account=${f.get('service-account')} differs from Terraform's ${str(account?.config.account_id)}`,
    );
    findings.expect(
      INGRESS_ENUM[f.get('ingress') ?? ''] === run.config.ingress,
      file,
      at,
      `--ingress=${f.get('ingress')} differs from Terraform's ${String(run.config.ingress)}`,
    );
    findings.expect(
      f.get('region') === run.config.location,
      file,
      at,
      `--region=${f.get('region')} differs from Terraform's ${String(run.config.location)}`,
    );
    const inMesh = blocks(template, 'service_mesh').length > 0;
    findings.expect(
      f.has('mesh') === inMesh,
      file,
      at,
      inMesh
        ? 'Terraform puts it in the mesh, the deploy does not pass --mesh'
        : 'the deploy passes --mesh, Terraform does not',
    );
    if (f.has('mesh')) {
      findings.expect(
        f.get('mesh') === `projects/${target.project}/locations/global/meshes/${String(mesh?.config.name)}`,
        file,
        at,
        `--mesh=${f.get('mesh')} is not Terraform's mesh`,
      );
      const vpc = blocks(template, 'vpc_access')[0];
      const nic = blocks(vpc, 'network_interfaces')[0];
      // The same form on both sides, not just the same network: the API keeps what it is given
      // (a name from gcloud, an id from Terraform), so any difference diffs on the next apply.
      for (const [flag, value] of [
        ['network', nic?.network],
        ['subnet', nic?.subnetwork],
      ] as const) {
        const field = flag === 'subnet' ? 'subnetwork' : flag;
        findings.expect(
          f.get(flag) === value,
          file,
          at,
          typeof value === 'string'
            ? `--${flag}=${f.get(flag)} is not Terraform's ${field} "${value}"`
            : `--${flag}=${f.get(flag)} differs from Terraform's ${field} (${describe(value)}): use names on both sides, or every deploy and apply undo each other`,
        );
      }
      const egress = f.get('vpc-egress');
      findings.expect(
        VPC_EGRESS[egress ?? 'private-ranges-only'] === (vpc?.egress ?? 'PRIVATE_RANGES_ONLY'),
        file,
        at,
        `--vpc-egress=${egress ?? '(default private-ranges-only)'} differs from Terraform's egress ${String(vpc?.egress)}`,
      );
      findings.expect(
        VPC_EGRESS[egress ?? 'private-ranges-only'] === 'ALL_TRAFFIC',
        file,
        at,
        `--vpc-egress=${egress ?? '(default private-ranges-only)'} on a mesh member: use all-traffic, as the talk does; an ingress-internal destination refuses a hop that leaves through the internet`,
      );
    }
    checkAccessAgainstPlan(findings, file, at, f, plan, run);
    const owned = terraformOwnedFlags(argv);
    findings.expect(
      owned.length === 0,
      file,
      at,
      `passes ${owned.join(', ')}: Terraform owns scaling and resources (services.tf) and gcloud keeps them on deploy; a deploy flag would undo what terraform apply set, e.g. the scale back to zero after the workshop (decision 063)`,
    );
  }
  const registry = plan.ofType('google_artifact_registry_repository')[0];
  findings.expect(
    registry?.config.repository_id === target.repository,
    file,
    'substitutions._REPOSITORY',
    `Terraform's Artifact Registry repository is "${String(registry?.config.repository_id)}"`,
  );
}

/** Flags of `gcloud run deploy` that set what Terraform owns: scaling, CPU, memory, billing. */
const TERRAFORM_OWNED = [
  'min-instances',
  'max-instances',
  'min',
  'max',
  'scaling',
  'cpu',
  'memory',
  'concurrency',
  'cpu-throttling',
  'no-cpu-throttling',
  'cpu-boost',
  'no-cpu-boost',
];

/** The Terraform-owned flags a deploy command passes (none, for the generated ones). */
export function terraformOwnedFlags(argv: readonly string[]): string[] {
  return [...flags(argv).keys()].filter((k) => TERRAFORM_OWNED.includes(k)).map((k) => `--${k}`);
}

/**
 * The deploy's access flags say what Terraform set, since gcloud applies them on every deploy:
 * `--allow-unauthenticated` exactly where Terraform binds allUsers, `--no-invoker-iam-check`
 * exactly where it sets invoker_iam_disabled, `--no-allow-unauthenticated` everywhere else.
 */
function checkAccessAgainstPlan(
  findings: Findings,
  file: string,
  at: string,
  f: Map<string, string>,
  plan: Plan,
  run: Instance,
): void {
  const name = str(run.config.name);
  const allUsers = plan
    .ofType('google_cloud_run_v2_service_iam_member')
    .some(
      (b) =>
        b.config.role === 'roles/run.invoker' &&
        normaliseMember(plan, b.config.member) === 'allUsers' &&
        (str(referenced(plan, b.config.name)?.config.name) ?? str(b.config.name)) === name,
    );
  const noCheck = run.config.invoker_iam_disabled === true;
  findings.expect(
    f.has('allow-unauthenticated') === allUsers,
    file,
    at,
    allUsers
      ? 'Terraform grants allUsers run.invoker, the deploy does not pass --allow-unauthenticated (gcloud would remove the binding)'
      : '--allow-unauthenticated, but Terraform grants no allUsers binding (under Domain Restricted Sharing the deploy fails)',
  );
  findings.expect(
    f.has('no-invoker-iam-check') === noCheck,
    file,
    at,
    noCheck
      ? 'Terraform sets invoker_iam_disabled, the deploy does not pass --no-invoker-iam-check'
      : '--no-invoker-iam-check, but Terraform keeps the invoker IAM check',
  );
  findings.expect(
    f.has('no-allow-unauthenticated') === (!allUsers && !noCheck),
    file,
    at,
    f.has('no-allow-unauthenticated')
      ? '--no-allow-unauthenticated on a service Terraform makes public'
      : 'a service Terraform keeps private must be deployed with --no-allow-unauthenticated',
  );
}
