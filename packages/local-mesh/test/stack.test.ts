import { loadRoutes, loadTopology, ROUTES_DIR, TOPOLOGY_FILE } from '@meshapps/mesh-config';
import { runSourceCli, until } from '@meshapps/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, type Stack, startStack } from './helpers/stack.ts';

// The real stack, as `pnpm start` runs it: every service its own process. Weighted routes split
// exactly by weight (--even-splits), so the canary share below is a count, not a draw.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack(['--even-splits']);
});
afterAll(async () => {
  expect(await stack.stop()).toBe(0);
});

const call = (path: string, headers?: Record<string, string>) => getJson(`${stack.lb}${path}`, headers);

describe('demo 1–3: chains through the mesh, IAM decides', () => {
  it('client -> proxy -> target1', async () => {
    expect(await call('/call/proxy.meshapps.internal/target1.meshapps.internal')).toEqual({
      status: 200,
      body: { message: 'client <- proxy <- target1' },
    });
    expect(await call('/call/proxy.meshapps.internal')).toEqual({
      status: 200,
      body: { message: 'client <- proxy' },
    });
  });

  it('client may not invoke target1: 403 naming the service account, the role and the hop', async () => {
    const { status, body } = await call('/call/target1.meshapps.internal');
    expect(status).toBe(403);
    expect(body.error.hop).toBe('client -> target1.meshapps.internal');
    expect(body.error.message).toContain('Your client does not have permission');
    expect(body.error.message).toContain(
      'meshapps-client@meshapps-local.iam.gserviceaccount.com lacks roles/run.invoker',
    );
    expect(body.error.message).toContain('on service target1');
  });

  it('proxy may not invoke target2: the inner hop is named, the chain shows the way', async () => {
    const { status, body } = await call('/call/proxy.meshapps.internal/target2.meshapps.internal');
    expect(status).toBe(403);
    expect(body.error.hop).toBe('proxy -> target2.meshapps.internal');
    expect(body.error.chain).toEqual(['client', 'proxy']);
  });

  it('an unknown mesh host is 404 naming the host', async () => {
    const { status, body } = await call('/call/nosuch.meshapps.internal');
    expect(status).toBe(404);
    expect(body.error.message).toContain('nosuch.meshapps.internal');
  });

  it('hosts outside the mesh are refused before anything is sent', async () => {
    const { status, body } = await call('/call/example.com');
    expect(status).toBe(400);
    expect(body.error.message).toContain('allow-list');
  });
});

describe('demo 4: HTTPRoute traffic control', () => {
  it('1000 × target23 is consistent with 50:50 (split:check passes)', async () => {
    const run = await runSourceCli('packages/traffic/src/split-check.ts', [
      '--url',
      `${stack.lb}/call/target23.meshapps.internal`,
      '-n',
      '1000',
      '--expect',
      'target2=50,target3=50',
    ]);
    expect(run.out).toContain('split consistent with --expect');
    expect(run.code).toBe(0);
  });

  it("200 × target split exactly by target.yaml's weights (99:1: 2 to target-green)", async () => {
    // Weights from the shipped route file: the count follows the route, never a second copy of it.
    const route = loadRoutes(ROUTES_DIR, loadTopology(TOPOLOGY_FILE)).find(
      (r) => r.route.name === 'route-target',
    );
    const destinations = route?.route.rules[0]?.action?.destinations ?? [];
    const weight = (service: string) =>
      destinations.find((d) => d.serviceName.endsWith(`/${service}`))?.weight ?? 0;
    const total = weight('target') + weight('target-green');
    expect([weight('target'), weight('target-green')]).toEqual([99, 1]); // the canary the demo teaches
    const counts = new Map<string, number>();
    const n = 200; // a multiple of 100: whole cycles of the even walk
    let left = n;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (left-- > 0) {
          const { body } = await call('/call/target.meshapps.internal');
          counts.set(body.message, (counts.get(body.message) ?? 0) + 1);
        }
      }),
    );
    // --even-splits: every 100 choices split exactly by weight, so the count is exact, not a draw.
    expect(Object.fromEntries(counts)).toEqual({
      'client <- target': (n * weight('target')) / total,
      'client <- target-green': (n * weight('target-green')) / total,
    });
  });

  it('the header A/B route picks target-green on every request carrying x-variant: green', async () => {
    for (let i = 0; i < 50; i++) {
      expect((await call('/call/ab.meshapps.internal', { 'x-variant': 'green' })).body).toEqual({
        message: 'client <- target-green',
      });
      expect((await call('/call/ab.meshapps.internal')).body).toEqual({ message: 'client <- target' });
    }
  });

  it('the routing header travels through the chain to the routing decision two hops in', async () => {
    // proxy may not call ab's backends, so the 403 names target-green: the header reached proxy's sidecar.
    const { body } = await call('/call/proxy.meshapps.internal/ab.meshapps.internal', {
      'x-variant': 'green',
    });
    expect(body.error.message).toContain('on service target-green');
  });
});

describe('without the mesh: run.app URL + ID token', () => {
  const woTarget = () => stack.runAppHosts['without-mesh-target'] as string;
  const issuedFor = (host: string) =>
    stack.lines.filter((l) => l.includes(`ID token issued for audience https://${host}`));

  // Single-flight and caching of tokens are IdTokens' own properties, tested once where they live
  // (packages/call/test/id-tokens.test.ts); here, that the stack's metadata server issues one.
  it('call-with-authheader answers through google-auth-library and the local metadata server', async () => {
    expect(await getJson(`${stack.participant}/call-with-authheader/${woTarget()}`)).toEqual({
      status: 200,
      body: { message: 'without-mesh-client <- without-mesh-target' },
    });
    await until(() => issuedFor(woTarget()).length > 0, 'the metadata server logged no token issued');
    expect(issuedFor(woTarget())).toEqual([
      expect.stringContaining(`without-mesh-client: ID token issued for audience https://${woTarget()}`),
    ]);
  });

  it('call-without-authheader is refused with 401', async () => {
    const { status, body } = await getJson(`${stack.participant}/call-without-authheader/${woTarget()}`);
    expect(status).toBe(401);
    expect(body.error.message).toContain('no bearer ID token');
  });

  it("another project's run.app URL is refused before a token is minted for it", async () => {
    const hosts = ['without-mesh-target-999999999999.asia-northeast1.run.app', 'attacker.run.app'];
    for (const [i, host] of hosts.entries()) {
      const marker = `other-project-${process.pid}-${i}`;
      const { status, body } = await getJson(`${stack.participant}/call-with-authheader/${host}?${marker}`);
      expect(status).toBe(400);
      expect(body.error.message).toContain('*-123456789012.asia-northeast1.run.app');
      // The app logs a request's end after any token it asked for was issued, and logged, first.
      await requestLogged('without-mesh-client', marker);
      expect(issuedFor(host)).toEqual([]);
    }
  });
});

/** The apps' JSON log lines as `--raw-logs` prints them: the service name padded to 20, then JSON. */
function appEntries(service: string): Record<string, any>[] {
  return stack.lines
    .filter((l) => l.slice(0, 20).trimEnd() === service && l[21] === '{')
    .map((l) => JSON.parse(l.slice(21)));
}

/** Waits until `service` logged the end of the request whose URL carries `marker`. */
async function requestLogged(service: string, marker: string): Promise<void> {
  const end = performance.now() + 5000;
  for (;;) {
    const entries = appEntries(service);
    const reqId = entries.find((e) => String(e.req?.url).includes(marker))?.reqId;
    if (reqId && entries.some((e) => e.reqId === reqId && e.message === 'request completed')) return;
    if (performance.now() > end) throw new Error(`${service} did not log the request ${marker}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('logs', () => {
  it('no token or Authorization value reaches any log line', async () => {
    // A query parameter name: request lines keep names, censor values (decision 051).
    const marker = `leak-check-${process.pid}-${Date.now()}`;
    await call(`/call/proxy.meshapps.internal/target1.meshapps.internal?${marker}`, {
      authorization: 'Bearer participant-secret-123',
    });
    await getJson(
      `${stack.participant}/call-with-authheader/${stack.runAppHosts['without-mesh-target']}?${marker}`,
      { authorization: 'Bearer participant-secret-456' },
    );
    // Each service's lines arrive in order: once its "request completed" for these requests is in,
    // anything it logged about them is in too.
    for (const service of ['client', 'proxy', 'target1', 'without-mesh-client', 'without-mesh-target'])
      await requestLogged(service, marker);
    expect(stack.lines.length).toBeGreaterThan(50);
    const leaks = stack.lines.filter((l) => /eyJ[A-Za-z0-9_-]{10,}|participant-secret|Bearer /.test(l));
    expect(leaks).toEqual([]);
  });
});
