import { IdTokens } from '@meshapps/call';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLOUD_RUN_403_HTML,
  Cleanup,
  fakeIdToken,
  json,
  mappedAgent,
  startTlsStub,
} from '../../../packages/call/test/helpers/index.ts';
import { get, type Mesh, mesh, startChainService, startMesh } from './mesh.ts';

/** Hands out a known token, so the test can look for it in the logs. */
class KnownIdTokens extends IdTokens {
  readonly issued: string[] = [];
  override async get(audience: string): Promise<string> {
    const token = fakeIdToken(audience);
    this.issued.push(token);
    return token;
  }
}

const INBOUND = { authorization: 'Bearer secret-token-123', cookie: 'sid=secret-cookie-456' };
const cleanup = new Cleanup();
let m: Mesh;
const logs: string[][] = [];
const idTokens = new KnownIdTokens();

beforeAll(async () => {
  m = await startMesh(['client', 'proxy'], ['target1']);
  cleanup.add(() => m.cleanup.run());
  const tls = await startTlsStub(['*.a.run.app'], (req, res) =>
    req.url === '/'
      ? json(200, { message: 'without-mesh-target' })(req, res)
      : res.writeHead(403).end(CLOUD_RUN_403_HTML),
  );
  cleanup.add(() => tls.close());
  const { agent } = mappedAgent({ 'wm-abc123-uc.a.run.app': tls.port }, { ca: tls.ca });
  cleanup.add(() => agent.destroy());
  const wm = await startChainService('client', { dispatcher: agent, idTokens });
  cleanup.add(() => wm.app.close());

  // Successes, a pass-through 403, a refusal and a 404, all with credentials on the way in.
  const client = m.services.client?.url ?? '';
  const answers = await Promise.all([
    get(client, `/call/${mesh('proxy')}/${mesh('target1')}`, INBOUND),
    get(client, `/call/${mesh('proxy')}/${mesh('target9')}`, INBOUND),
    get(client, '/call/169.254.169.254', INBOUND),
    get(client, '/nope', INBOUND),
    get(wm.url, '/call-with-authheader/wm-abc123-uc.a.run.app', INBOUND),
    get(wm.url, '/call-with-authheader/wm-abc123-uc.a.run.app/other-abc123-uc.a.run.app', INBOUND),
  ]);
  expect(answers.map((a) => a.status)).toEqual([200, 503, 400, 404, 200, 403]);
  logs.push(...Object.values(m.services).map((s) => s.logs), wm.logs);
});
afterAll(() => cleanup.run());

describe('logs', () => {
  it('were written (the checks below are not vacuous)', () => {
    const all = logs.flat();
    expect(all.length).toBeGreaterThan(15);
    expect(all.some((l) => l.includes('/call/proxy.meshapps.internal/target1.meshapps.internal'))).toBe(true);
    expect(idTokens.issued.length).toBe(2);
  });

  it('never carry the inbound credentials nor the ID token', () => {
    const secrets = ['secret-token-123', 'secret-cookie-456', 'Bearer', ...idTokens.issued];
    for (const line of logs.flat()) {
      for (const secret of secrets) expect(line).not.toContain(secret);
    }
    // Nor a piece of the token (its signature or payload).
    for (const token of idTokens.issued) {
      for (const part of token.split('.')) for (const line of logs.flat()) expect(line).not.toContain(part);
    }
  });

  it('are Cloud Logging JSON: severity and message on every line', () => {
    for (const line of logs.flat()) {
      const entry = JSON.parse(line);
      expect(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']).toContain(entry.severity);
      expect(typeof entry.message).toBe('string');
      expect(entry).not.toHaveProperty('level');
      expect(entry).not.toHaveProperty('msg');
    }
  });

  it('name the failing hop for hop errors', () => {
    const entries = logs.flat().map((l) => JSON.parse(l));
    expect(entries).toContainEqual(
      expect.objectContaining({ status: 503, hop: `proxy -> ${mesh('target9')}`, severity: 'INFO' }),
    );
  });
});
