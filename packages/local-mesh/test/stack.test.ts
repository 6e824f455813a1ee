import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNodeCli } from './helpers/node-cli.ts';
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
    const run = await runNodeCli('packages/traffic/src/split-check.ts', [
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

  it('2000 × target sends between 0.3 % and 2.5 % to target-green', async () => {
    const counts = new Map<string, number>();
    let left = 2000;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (left-- > 0) {
          const { body } = await call('/call/target.meshapps.internal');
          counts.set(body.message, (counts.get(body.message) ?? 0) + 1);
        }
      }),
    );
    const green = counts.get('client <- target-green') ?? 0;
    expect(green + (counts.get('client <- target') ?? 0)).toBe(2000);
    expect(green).toBe(20); // 1 in every 100, as target.yaml's 99:1 says
    expect(green / 2000).toBeGreaterThanOrEqual(0.003);
    expect(green / 2000).toBeLessThanOrEqual(0.025);
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
  const issued = () => stack.lines.filter((l) => l.includes('ID token issued for audience'));

  // First in this block on purpose: these are the first calls to this audience, so the count
  // shows single-flight, not a token cached by an earlier test.
  it('500 concurrent first calls cause exactly one identity request for the audience', async () => {
    expect(issued()).toEqual([]);
    const answers = await Promise.all(
      Array.from({ length: 500 }, () => getJson(`${stack.participant}/call-with-authheader/${woTarget()}`)),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(issued()).toEqual([
      expect.stringContaining(`without-mesh-client: ID token issued for audience https://${woTarget()}`),
    ]);
  });

  it('call-with-authheader answers through google-auth-library and the local metadata server', async () => {
    expect(await getJson(`${stack.participant}/call-with-authheader/${woTarget()}`)).toEqual({
      status: 200,
      body: { message: 'without-mesh-client <- without-mesh-target' },
    });
  });

  it('call-without-authheader is refused with 401', async () => {
    const { status, body } = await getJson(`${stack.participant}/call-without-authheader/${woTarget()}`);
    expect(status).toBe(401);
    expect(body.error.message).toContain('no bearer ID token');
  });

  it("another project's run.app URL is refused before a token is minted for it", async () => {
    for (const host of ['without-mesh-target-999999999999.asia-northeast1.run.app', 'attacker.run.app']) {
      const { status, body } = await getJson(`${stack.participant}/call-with-authheader/${host}`);
      expect(status).toBe(400);
      expect(body.error.message).toContain('*-123456789012.asia-northeast1.run.app');
    }
    expect(issued()).toHaveLength(1);
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
