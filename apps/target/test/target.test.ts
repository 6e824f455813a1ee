import { type AppProcess, request, spawnApp } from '@meshapps/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The real target app in its own process: one app, deployed under many names. */
let app: AppProcess;
beforeAll(async () => {
  app = await spawnApp('apps/target/src/main.ts', {
    K_SERVICE: 'target-green',
    K_REVISION: 'target-green-00002-xyz',
  });
});
afterAll(() => app.stop());

async function get(path: string) {
  const res = await request(`http://127.0.0.1:${app.port}${path}`);
  const text = await res.body.text();
  return { status: res.statusCode, type: String(res.headers['content-type']), text };
}

describe('apps/target', () => {
  it('answers GET / with its K_SERVICE', async () => {
    expect(await get('/')).toMatchObject({ status: 200, text: '{"message":"target-green"}' });
  });

  it('answers /healthz', async () => {
    expect(await get('/healthz')).toMatchObject({ status: 200, text: '{"status":"ok"}' });
  });

  it('answers unknown routes, including /call (a target calls no one), with the JSON error shape', async () => {
    for (const path of ['/nope', '/call/target1.meshapps.internal']) {
      const res = await get(path);
      expect(res.status).toBe(404);
      expect(res.type).toMatch(/^application\/json/);
      expect(JSON.parse(res.text)).toEqual({
        error: { status: 404, message: `no route for GET ${path}`, chain: [] },
      });
    }
  });

  it('logs Cloud Logging JSON with its service and revision', () => {
    expect(app.logs.length).toBeGreaterThan(0);
    for (const entry of app.logs) {
      expect(entry).toMatchObject({
        severity: expect.any(String),
        message: expect.any(String),
        serviceContext: { service: 'target-green', version: 'target-green-00002-xyz' },
      });
    }
  });

  it('exits 0 on SIGTERM', async () => {
    app.child.kill('SIGTERM');
    expect(await app.exited).toMatchObject({ code: 0, signal: null });
  });
});

describe('FAIL_PERCENT: a release that fails on purpose', () => {
  it('answers 500 for exactly that share of GET /, spread evenly, naming itself; /healthz never fails', async () => {
    const failing = await spawnApp('apps/target/src/main.ts', {
      K_SERVICE: 'target-green',
      FAIL_PERCENT: '20',
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 100; i++) {
        const res = await request(`http://127.0.0.1:${failing.port}/`);
        const body = (await res.body.json()) as any;
        statuses.push(res.statusCode);
        if (res.statusCode === 500) {
          expect(body).toEqual({
            error: {
              status: 500,
              message: 'target-green failed on purpose (FAIL_PERCENT=20)',
              chain: ['target-green'],
            },
          });
        } else expect(body).toEqual({ message: 'target-green' });
        const health = await request(`http://127.0.0.1:${failing.port}/healthz`);
        await health.body.text();
        expect(health.statusCode).toBe(200);
      }
      expect(statuses.filter((s) => s === 500)).toHaveLength(20);
      // Evenly spread: never two failures in a row.
      expect(statuses.join(',')).not.toContain('500,500');
    } finally {
      await failing.stop();
    }
  });

  it.each(['abc', '-1', '101', '12.5'])(
    'refuses FAIL_PERCENT=%s loudly at start, before listening',
    async (value) => {
      await expect(spawnApp('apps/target/src/main.ts', { FAIL_PERCENT: value })).rejects.toThrow(
        `not starting: FAIL_PERCENT must be a whole number from 0 to 100, got \\"${value}\\"`,
      );
    },
  );
});
