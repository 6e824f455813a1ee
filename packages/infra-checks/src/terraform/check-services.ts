import { fileOf, INGRESS_ENUM, TELEMETRY_ROLES, type TerraformContext } from './context.ts';
import type { Instance } from './plan.ts';
import { block, blocks, memberAccount, named, normaliseMember, referenced, str } from './refs.ts';

/**
 * Cloud Run services, their identities and who may invoke them — each compared with the topology,
 * on the *evaluated* plan: a hard-coded service, a dropped binding or a wrong account shows up as
 * a difference, however the Terraform is written.
 */
export function checkServices(ctx: TerraformContext): void {
  const { plan, topology, findings } = ctx;
  const runs = plan.ofType('google_cloud_run_v2_service');
  const byName = new Map<string, Instance>();
  for (const run of runs) {
    const name = str(run.config.name);
    if (!name) findings.add(fileOf(ctx, run), run.address, 'name does not evaluate to a known string');
    else byName.set(name, run);
  }
  const first = runs[0];
  const file = first ? fileOf(ctx, first) : ctx.dir;
  for (const s of topology.services) {
    if (!byName.has(s.name))
      findings.add(
        file,
        'google_cloud_run_v2_service',
        `topology service "${s.name}" has no Cloud Run service`,
      );
  }
  for (const [name, run] of byName) {
    const spec = topology.services.find((s) => s.name === name);
    if (!spec) {
      findings.add(fileOf(ctx, run), run.address, `Cloud Run service "${name}" is not in the topology`);
      continue;
    }
    checkRun(ctx, run, spec);
  }
  checkAccounts(ctx);
  checkInvokers(ctx);
  checkProjectRoles(ctx);
}

function checkRun(
  ctx: TerraformContext,
  run: Instance,
  spec: TerraformContext['topology']['services'][number],
): void {
  const { plan, topology, findings } = ctx;
  const f = fileOf(ctx, run);
  const at = run.address;
  const c = run.config;
  findings.expect(
    c.ingress === INGRESS_ENUM[spec.ingress],
    f,
    `${at}.ingress`,
    `expected ${INGRESS_ENUM[spec.ingress]} (topology ingress: ${spec.ingress}), got ${String(c.ingress)}`,
  );
  // The external load balancer reaches its entry only with ingress all or
  // internal-and-cloud-load-balancing; participants call theirs from the internet.
  if (spec.entry === 'load-balancer') {
    findings.expect(
      c.ingress === INGRESS_ENUM.all || c.ingress === INGRESS_ENUM['internal-and-cloud-load-balancing'],
      f,
      `${at}.ingress`,
      `entry: load-balancer with ingress ${String(c.ingress)} (topology ingress: ${spec.ingress}) blocks the load balancer: use internal-and-cloud-load-balancing`,
    );
  }
  if (spec.entry === 'participant') {
    findings.expect(
      c.ingress === INGRESS_ENUM.all,
      f,
      `${at}.ingress`,
      `entry: participant with ingress ${String(c.ingress)} (topology ingress: ${spec.ingress}): participants call it from the internet, so it needs ingress all`,
    );
  }
  findings.expect(
    c.default_uri_disabled === false,
    f,
    `${at}.default_uri_disabled`,
    'set default_uri_disabled = false: the mesh reaches destinations through their run.app URL',
  );
  findings.expect(
    c.deletion_protection === false,
    f,
    `${at}.deletion_protection`,
    'set deletion_protection = false so the workshop can be torn down with terraform destroy',
  );

  checkPublicEntry(ctx, run, spec);

  const template = block(c, 'template');
  const account = template ? referenced(plan, template.service_account) : undefined;
  const accountId =
    account?.resource.type === 'google_service_account' ? str(account.config.account_id) : undefined;
  findings.expect(
    accountId === spec.serviceAccount,
    f,
    `${at}.template.service_account`,
    `expected the email of service account "${spec.serviceAccount}", got ${String(template?.service_account)}`,
  );

  const scaling = block(template ?? {}, 'scaling');
  // Warm by default, as the talk deployed: with 0 the first request after idle wakes client, proxy
  // and target1 in turn, each within its caller's hop budget (decision 063).
  findings.expect(
    typeof scaling?.min_instance_count === 'number' && scaling.min_instance_count >= 1,
    f,
    `${at}.template.scaling.min_instance_count`,
    `is ${String(scaling?.min_instance_count)} by default: keep one warm instance per service for the workshop (min instances 1); with 0 the first request after idle meets a cold chain (decision 063)`,
  );

  const container = blocks(template, 'containers')[0];
  const resources = block(container ?? {}, 'resources');
  findings.expect(
    resources?.cpu_idle === false,
    f,
    `${at}.template.containers.resources.cpu_idle`,
    `is ${String(resources?.cpu_idle)} by default: keep CPU allocated after the response (cpu_idle = false), or the spans the preload exports a few seconds later are throttled and demo 5 loses them`,
  );
  const sampler = blocks(container, 'env').find((e) => e.name === 'OTEL_TRACES_SAMPLER')?.value;
  if (spec.entry === 'none') {
    findings.expect(
      typeof sampler === 'string' && sampler.startsWith('parentbased_'),
      f,
      `${at}.template.containers.env.OTEL_TRACES_SAMPLER`,
      `is ${String(sampler)} by default on a service that is no entry: use a parentbased_ sampler so it honours the caller's sampled flag`,
    );
  } else {
    findings.expect(
      sampler === 'always_on',
      f,
      `${at}.template.containers.env.OTEL_TRACES_SAMPLER`,
      `is ${String(sampler)} by default on an entry service (entry: ${spec.entry}): always_on, so every workshop request starts a sampled trace`,
    );
  }

  // The topology's app settings (FAIL_PERCENT, …) reach the container as pnpm start passes them.
  const env = new Map(blocks(container, 'env').map((e) => [e.name, e.value]));
  for (const [name, value] of Object.entries(spec.env ?? {})) {
    findings.expect(
      env.get(name) === value,
      f,
      `${at}.template.containers.env.${name}`,
      `is ${String(env.get(name))}, the topology's env says "${value}"`,
    );
  }

  const meshBlocks = blocks(template, 'service_mesh');
  const vpc = blocks(template, 'vpc_access');
  if (spec.mesh) {
    const mesh = referenced(plan, meshBlocks[0]?.mesh);
    findings.expect(
      meshBlocks.length === 1 && mesh?.config.name === topology.mesh.name,
      f,
      `${at}.template.service_mesh`,
      `mesh member: needs service_mesh { mesh = <id of mesh "${topology.mesh.name}"> }`,
    );
    findings.expect(
      c.launch_stage === 'BETA',
      f,
      `${at}.launch_stage`,
      'service_mesh needs launch_stage = "BETA"',
    );
    const nic = blocks(vpc[0], 'network_interfaces')[0];
    const subnet = named(plan, nic?.subnetwork, 'google_compute_subnetwork');
    const network = named(plan, nic?.network, 'google_compute_network');
    findings.expect(
      vpc.length === 1 && subnet !== undefined && network !== undefined,
      f,
      `${at}.template.vpc_access`,
      'mesh member: needs Direct VPC egress (vpc_access.network_interfaces with the mesh network and subnet)',
    );
    findings.expect(
      subnet === undefined ||
        network === undefined ||
        named(plan, subnet.config.network, 'google_compute_network') === network,
      f,
      `${at}.template.vpc_access.network_interfaces`,
      `subnet ${String(subnet?.config.name)} is not in network ${String(network?.config.name)}`,
    );
    const egress = vpc[0]?.egress;
    findings.expect(
      egress === 'ALL_TRAFFIC',
      f,
      `${at}.template.vpc_access.egress`,
      `is ${String(egress)} on a mesh member: set ALL_TRAFFIC, as the talk deploys it (a hop to an ingress-internal destination's run.app address must arrive through the VPC; with PRIVATE_RANGES_ONLY it leaves through the internet and is refused)`,
    );
  } else {
    findings.expect(
      c.launch_stage === undefined || c.launch_stage === null || c.launch_stage === 'GA',
      f,
      `${at}.launch_stage`,
      `is ${String(c.launch_stage)} on a service that uses no preview feature: the API reads it back as GA, a diff on every plan (set it only for mesh members)`,
    );
    findings.expect(
      meshBlocks.length === 0,
      f,
      `${at}.template.service_mesh`,
      'topology says mesh: false, but the service joins the mesh',
    );
  }

  for (const path of ['template[0].containers[0].image', 'client', 'client_version']) {
    findings.expect(
      run.ignoreChanges.includes(path),
      f,
      `${at}.lifecycle.ignore_changes`,
      `ignore ${path}: Cloud Build owns revisions, or the next apply rolls them back`,
    );
  }
  if (spec.mesh) {
    const waits = run.dependsOn.filter((d) => d.startsWith('time_sleep.'));
    findings.expect(
      waits.length > 0,
      f,
      `${at}.depends_on`,
      'mesh members must depend on the time_sleep after the mesh and trafficdirector.client grants',
    );
  }
}

/**
 * The invoker IAM check stays on everywhere IAM decides who may call (demo 3); only the load
 * balancer's entry may turn it off, and does exactly when public_entry = "invoker_iam_disabled".
 */
function checkPublicEntry(
  ctx: TerraformContext,
  run: Instance,
  spec: TerraformContext['topology']['services'][number],
): void {
  const wanted = spec.entry === 'load-balancer' && ctx.variables.public_entry === 'invoker_iam_disabled';
  const actual = run.config.invoker_iam_disabled === true;
  ctx.findings.expect(
    actual === wanted,
    fileOf(ctx, run),
    `${run.address}.invoker_iam_disabled`,
    wanted
      ? 'public_entry = "invoker_iam_disabled": the load-balancer entry must set invoker_iam_disabled = true (the load balancer sends no token)'
      : `is ${String(run.config.invoker_iam_disabled)}: only the load-balancer entry, and only with public_entry = "invoker_iam_disabled", may skip the invoker IAM check`,
  );
}

function checkAccounts(ctx: TerraformContext): void {
  const { plan, topology, findings } = ctx;
  const accounts = plan.ofType('google_service_account');
  for (const s of topology.services) {
    const matches = accounts.filter((a) => a.config.account_id === s.serviceAccount);
    findings.expect(
      matches.length === 1,
      accounts[0] ? fileOf(ctx, accounts[0]) : ctx.dir,
      'google_service_account',
      `service account "${s.serviceAccount}" (${s.name}) must exist exactly once, found ${matches.length}`,
    );
  }
}

/** Exactly the run.invoker bindings the topology implies: invokers, load-balancer entry, participants. */
function checkInvokers(ctx: TerraformContext): void {
  const { plan, topology, findings } = ctx;
  const participants = (ctx.variables.participants as string[] | undefined) ?? [];
  const expected = new Set<string>();
  for (const s of topology.services) {
    for (const caller of s.invokers) {
      const account = topology.services.find((x) => x.name === caller)?.serviceAccount;
      expected.add(`${s.name} <- serviceAccount:${account}`);
    }
    // The load balancer sends no token: its entry is public through allUsers, unless
    // public_entry turns the invoker check off instead (Domain Restricted Sharing refuses allUsers).
    if (s.entry === 'load-balancer' && ctx.variables.public_entry === 'all_users')
      expected.add(`${s.name} <- allUsers`);
    if (s.entry === 'participant') for (const p of participants) expected.add(`${s.name} <- ${p}`);
  }
  const actual = new Map<string, Instance>();
  const invokerTypes = plan
    .instances()
    .filter((i) => /^google_cloud_run(_v2)?_service_iam_/.test(i.resource.type));
  for (const b of invokerTypes) {
    if (b.resource.type !== 'google_cloud_run_v2_service_iam_member') {
      findings.add(
        fileOf(ctx, b),
        b.address,
        'grant run.invoker with google_cloud_run_v2_service_iam_member (additive), not bindings or policies',
      );
      continue;
    }
    if (b.config.role !== 'roles/run.invoker') continue;
    const service = referenced(plan, b.config.name);
    const name = service ? str(service.config.name) : str(b.config.name);
    actual.set(`${name} <- ${normaliseMember(plan, b.config.member)}`, b);
  }
  const file = invokerTypes[0] ? fileOf(ctx, invokerTypes[0]) : ctx.dir;
  for (const e of expected) findings.expect(actual.has(e), file, 'run.invoker', `missing binding ${e}`);
  for (const [a, b] of actual)
    findings.expect(expected.has(a), fileOf(ctx, b), b.address, `binding ${a} is not in the topology`);
}

function checkProjectRoles(ctx: TerraformContext): void {
  const { plan, topology, findings } = ctx;
  const grants = plan.ofType('google_project_iam_member');
  const has = (account: string, role: string) =>
    grants.some((g) => g.config.role === role && memberAccount(plan, g.config.member) === account);
  const file = grants[0] ? fileOf(ctx, grants[0]) : ctx.dir;
  for (const s of topology.services) {
    for (const role of TELEMETRY_ROLES) {
      findings.expect(
        has(s.serviceAccount, role),
        file,
        'google_project_iam_member',
        `${s.serviceAccount} needs ${role}`,
      );
    }
    if (s.mesh) {
      findings.expect(
        has(s.serviceAccount, 'roles/trafficdirector.client'),
        file,
        'google_project_iam_member',
        `${s.serviceAccount} is a mesh member and needs roles/trafficdirector.client (else its sidecar never starts)`,
      );
    }
  }
}
