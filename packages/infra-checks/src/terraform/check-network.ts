import { fileOf, meshDestinations, type TerraformContext } from './context.ts';
import { cidrContains, parseCidr } from './functions.ts';
import type { Instance } from './plan.ts';
import { block, blocks, referenced, str } from './refs.ts';

/** Mesh, DNS, subnet, per-destination backends and the external load balancer. */
export function checkNetwork(ctx: TerraformContext): void {
  checkMeshAndWait(ctx);
  checkDnsAndSubnet(ctx);
  checkMeshBackends(ctx);
  checkLoadBalancer(ctx);
}

function checkMeshAndWait(ctx: TerraformContext): void {
  const { plan, topology, findings } = ctx;
  const meshes = plan.ofType('google_network_services_mesh');
  findings.expect(
    meshes.length === 1 && meshes[0]?.config.name === topology.mesh.name,
    ctx.dir,
    'google_network_services_mesh',
    `exactly one mesh named "${topology.mesh.name}" (topology mesh.name), found ${meshes.map((m) => String(m.config.name)).join(', ') || 'none'}`,
  );
  const waits = plan.ofType('time_sleep');
  const mesh = meshes[0];
  const ok = waits.some((w) => {
    const long = durationSeconds(w.config.create_duration) >= 60;
    const afterMesh = mesh ? w.dependsOn.includes(`${mesh.resource.type}.${mesh.resource.name}`) : false;
    const afterGrant = w.dependsOn.some((d) => {
      const [type, name] = d.split('.');
      return plan
        .ofType(type ?? '')
        .some((g) => g.resource.name === name && g.config.role === 'roles/trafficdirector.client');
    });
    return long && afterMesh && afterGrant;
  });
  findings.expect(
    ok,
    ctx.dir,
    'time_sleep',
    'need a time_sleep of ≥ 60 s that depends on the mesh and on the roles/trafficdirector.client grants',
  );
}

function checkDnsAndSubnet(ctx: TerraformContext): void {
  const { plan, topology, findings } = ctx;
  const domain = `${topology.mesh.domain}.`;
  const zone = plan.ofType('google_dns_managed_zone').find((z) => z.config.dns_name === domain);
  if (!zone) {
    findings.add(ctx.dir, 'google_dns_managed_zone', `no private zone for ${domain} (topology mesh.domain)`);
    return;
  }
  const zf = fileOf(ctx, zone);
  findings.expect(
    zone.config.visibility === 'private',
    zf,
    `${zone.address}.visibility`,
    'the mesh zone must be private',
  );
  const network = referenced(
    plan,
    blocks(block(zone.config, 'private_visibility_config'), 'networks')[0]?.network_url,
  );
  findings.expect(
    network?.resource.type === 'google_compute_network',
    zf,
    `${zone.address}.private_visibility_config`,
    'bind the zone to the mesh VPC',
  );
  const wildcard = plan
    .ofType('google_dns_record_set')
    .find((r) => r.config.name === `*.${domain}` && r.config.type === 'A');
  findings.expect(
    Boolean(wildcard),
    zf,
    'google_dns_record_set',
    `no wildcard A record *.${domain}: mesh hostnames would not resolve (ENOTFOUND)`,
  );

  const subnets = plan.ofType('google_compute_subnetwork');
  for (const subnet of subnets) {
    const sf = fileOf(ctx, subnet);
    findings.expect(
      subnet.config.private_ip_google_access === true,
      sf,
      `${subnet.address}.private_ip_google_access`,
      'Private Google Access must be on (internal-ingress destinations, Google APIs)',
    );
    const cidr = str(subnet.config.ip_cidr_range) ?? '';
    try {
      findings.expect(
        parseCidr(cidr).prefix <= 26,
        sf,
        `${subnet.address}.ip_cidr_range`,
        'Direct VPC egress needs a /26 or larger subnet',
      );
      const address =
        wildcard && Array.isArray(wildcard.config.rrdatas) ? str(wildcard.config.rrdatas[0]) : undefined;
      if (address) {
        findings.expect(
          !cidrContains(cidr, address),
          sf,
          `${subnet.address}.ip_cidr_range`,
          `the DNS placeholder ${address} lies inside ${cidr}`,
        );
        findings.expect(
          /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(address),
          sf,
          'mesh_dns_address',
          `${address} is not an RFC 1918 address`,
        );
      }
    } catch (err) {
      findings.add(sf, `${subnet.address}.ip_cidr_range`, (err as Error).message);
    }
  }
}

/** Every mesh destination: serverless NEG → INTERNAL_SELF_MANAGED backend service named like the service. */
function checkMeshBackends(ctx: TerraformContext): void {
  const { plan, findings } = ctx;
  const wanted = meshDestinations(ctx.routes);
  const backends = plan
    .ofType('google_compute_backend_service')
    .filter((b) => b.config.load_balancing_scheme === 'INTERNAL_SELF_MANAGED');
  const byName = new Map(backends.map((b) => [str(b.config.name) ?? b.address, b]));
  for (const name of wanted) {
    const backend = byName.get(name);
    if (!backend) {
      findings.add(
        ctx.dir,
        'google_compute_backend_service',
        `routes send traffic to "${name}" but there is no INTERNAL_SELF_MANAGED backend service of that name`,
      );
      continue;
    }
    const neg = negOf(ctx, backend);
    findings.expect(
      str(neg?.config.service) === name,
      fileOf(ctx, backend),
      `${backend.address}.backend`,
      `backend "${name}" must use a serverless NEG for Cloud Run service "${name}"`,
    );
  }
  for (const [name, b] of byName) {
    findings.expect(
      wanted.has(name),
      fileOf(ctx, b),
      b.address,
      `mesh backend "${name}" is named by no route`,
    );
  }
}

function checkLoadBalancer(ctx: TerraformContext): void {
  const { plan, topology, findings } = ctx;
  const rules = plan.ofType('google_compute_global_forwarding_rule');
  for (const entry of topology.services.filter((s) => s.entry === 'load-balancer')) {
    const reaches = rules.some((rule) => {
      const proxy = referenced(plan, rule.config.target);
      const urlMap = proxy ? referenced(plan, proxy.config.url_map) : undefined;
      const backend = urlMap ? referenced(plan, urlMap.config.default_service) : undefined;
      const neg = backend ? negOf(ctx, backend) : undefined;
      return (
        rule.config.load_balancing_scheme === 'EXTERNAL_MANAGED' &&
        backend?.config.load_balancing_scheme === 'EXTERNAL_MANAGED' &&
        str(neg?.config.service) === entry.name
      );
    });
    findings.expect(
      reaches,
      ctx.dir,
      'google_compute_global_forwarding_rule',
      `no EXTERNAL_MANAGED load balancer chain (forwarding rule → proxy → URL map → backend → serverless NEG) reaches "${entry.name}" (entry: load-balancer)`,
    );
  }
}

/** The serverless NEG behind a backend service, flattened to { service } for checks. */
function negOf(ctx: TerraformContext, backend: Instance): { config: { service?: unknown } } | undefined {
  const neg = referenced(ctx.plan, blocks(backend.config, 'backend')[0]?.group);
  if (neg?.resource.type !== 'google_compute_region_network_endpoint_group') return undefined;
  if (neg.config.network_endpoint_type !== 'SERVERLESS') return undefined;
  const service = referenced(ctx.plan, block(neg.config, 'cloud_run')?.service);
  return { config: { service: service ? service.config.name : block(neg.config, 'cloud_run')?.service } };
}

/** "90s", "1m", "1m30s" → seconds (0 if not a duration). */
function durationSeconds(v: unknown): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(String(v));
  if (!m || String(v) === '') return 0;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}
