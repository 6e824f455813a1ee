import {
  CLOUD_RUN_403_HTML,
  json,
  runAppHost,
  startTlsStub,
  type TlsStub,
  until,
} from '@meshapps/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mesh, startWorld, type World } from './world.ts';

// The logs client, proxy and target1 print to stdout (Cloud Run reads them from there), after
// successes, a pass-through 403, a refusal and 404s, every request carrying credentials.
const INBOUND = { authorization: 'Bearer secret-token-123', cookie: 'sid=secret-cookie-456' };
const TARGET = runAppHost('without-mesh-target');
const OTHER = runAppHost('other');
let w: World;
let tls: TlsStub;

beforeAll(async () => {
  tls = await startTlsStub([`*.${TARGET.split('.').slice(1).join('.')}`], (req, res) =>
    req.url === '/'
      ? json(200, { message: 'without-mesh-target' })(req, res)
      : res.writeHead(403).end(CLOUD_RUN_403_HTML),
  );
  w = await startWorld({
    services: ['proxy', 'target1'],
    runApp: { tunnels: { [TARGET]: tls.port }, ca: tls.ca },
  });
  const answers = await Promise.all([
    w.get(`/call/${mesh('proxy')}/${mesh('target1')}`, INBOUND),
    w.get(`/call/${mesh('proxy')}/${mesh('target9')}`, INBOUND),
    w.get('/call/169.254.169.254', INBOUND),
    w.get('/nope', INBOUND),
    w.get(`/call-with-authheader/${TARGET}`, INBOUND),
    w.get(`/call-with-authheader/${TARGET}/${OTHER}`, INBOUND),
  ]);
  expect(answers.map((a) => a.status)).toEqual([200, 404, 400, 404, 200, 403]);
  // Each process logs a request's end after all it logged about it: wait for those lines.
  const client = w.warmUps + 6;
  await until(
    () => completed('client') === client && completed('proxy') === 2 && completed('target1') === 1,
    'the apps did not log the end of every request',
  );
});
afterAll(async () => {
  await w?.close();
  await tls?.close();
});

const completed = (service: string) =>
  (service === 'client' ? w.client : w.apps[service])?.logs.filter((e) => e.message === 'request completed')
    .length ?? 0;

describe('logs', () => {
  it('were written (the checks below are not vacuous)', () => {
    const all = w.lines();
    expect(all.length).toBeGreaterThan(15);
    expect(all.some((l) => l.includes('/call/proxy.meshapps.internal/target1.meshapps.internal'))).toBe(true);
    // One for the world's warm-up host, one for TARGET (the second call to it reuses it).
    expect(w.metadata.issued).toHaveLength(2);
  });

  it('never carry the inbound credentials nor the ID token', () => {
    const secrets = ['secret-token-123', 'secret-cookie-456', 'Bearer', ...w.metadata.issued];
    for (const line of w.lines()) {
      for (const secret of secrets) expect(line).not.toContain(secret);
    }
    // Nor a piece of the token (its signature or payload).
    for (const token of w.metadata.issued) {
      for (const part of token.split('.')) for (const line of w.lines()) expect(line).not.toContain(part);
    }
  });

  it('are Cloud Logging JSON: severity and message on every line', () => {
    for (const line of w.lines()) {
      const entry = JSON.parse(line);
      expect(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']).toContain(entry.severity);
      expect(typeof entry.message).toBe('string');
      expect(entry).not.toHaveProperty('level');
      expect(entry).not.toHaveProperty('msg');
    }
  });

  it('name the failing hop for hop errors', () => {
    const entries = w.lines().map((l) => JSON.parse(l));
    expect(entries).toContainEqual(
      expect.objectContaining({ status: 404, hop: `proxy -> ${mesh('target9')}`, severity: 'INFO' }),
    );
  });
});
