import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ServiceSpec } from '@meshapps/mesh-config';
import type { SpanRecord } from '@meshapps/trace-viewer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenIssuer } from '../src/identity.ts';
import { formatHop } from '../src/log-format.ts';
import { createRunAppServer } from '../src/run-app-server.ts';
import { makeRunAppTls } from '../src/run-app-tls.ts';
import type { HopEvent } from '../src/sidecar.ts';
import type { ListenerTimeouts } from '../src/timeouts.ts';
import { exchange, openTunnel, rawSocket, statusOf, tlsOver } from './helpers/raw.ts';
import { clientSidecar, meshService, target1Front } from './helpers/target1.ts';

// One caller's egress proxy with target1 behind its Cloud Run front, reachable as a mesh host and
// as its run.app URL, with timeouts short enough to watch (the same for every socket).
const TIMEOUTS: ListenerTimeouts = {
  headersMs: 300,
  requestMs: 2000,
  keepAliveMs: 300,
  checkEveryMs: 50,
  tlsHandshakeMs: 300,
};
const RUN_APP = 'target1-123456789012.asia-northeast1.run.app';
const spec = (name: string): ServiceSpec => meshService(name, { ingress: 'all' });

const hops: HopEvent[] = [];
const spans: SpanRecord[] = [];
/** What the app saw: every request, and whether its connection closed before it answered. */
const seen: { url: string; closedUnanswered: boolean }[] = [];
let app: Server;
let runApp: Server;
let sidecar: { port: number; close: () => Promise<void> };

beforeAll(async () => {
  app = createServer((req: IncomingMessage, res: ServerResponse) => {
    const entry = { url: req.url ?? '', closedUnanswered: false };
    seen.push(entry);
    res.on('close', () => {
      entry.closedUnanswered = !res.writableFinished;
    });
    if (req.url === '/slow') return; // never answers: the caller will give up
    if (req.url === '/half') {
      // Begins an answer, then dies.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"message":');
      return void setTimeout(() => res.socket?.destroy(), 50);
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"message":"target1"}');
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  const issuer = new TokenIssuer();
  const front = target1Front(spec('target1'), app, issuer, `https://${RUN_APP}`);
  runApp = createRunAppServer(await makeRunAppTls(), new Map([[RUN_APP, front]]), TIMEOUTS);
  sidecar = await clientSidecar(spec('client'), front, {
    runApp: { server: runApp, hosts: new Set([RUN_APP]) },
    issuer,
    onHop: (e) => hops.push(e),
    recordSpans: (s) => spans.push(...s),
    timeouts: TIMEOUTS,
  });
});
afterAll(async () => {
  await sidecar.close();
  runApp.closeAllConnections();
  app.closeAllConnections();
  await new Promise<void>((r) => app.close(() => r()));
});

const runAppRequest = (authorization: string) =>
  `GET / HTTP/1.1\r\nhost: ${RUN_APP}\r\nauthorization: ${authorization}\r\nconnection: close\r\n\r\n`;

async function viaRunApp(authorization: string): Promise<number | undefined> {
  const tls = await tlsOver(await openTunnel(sidecar.port, `${RUN_APP}:443`), RUN_APP);
  return statusOf((await exchange(tls, runAppRequest(authorization), 3000)).text);
}

describe('defect 1: a JWT whose header is not an object', () => {
  it('Bearer bnVsbA.e30.e30 (header `null`) to a run.app host through the sidecar: 401, and the mesh goes on', async () => {
    for (const token of [
      'bnVsbA.e30.e30',
      'e30.bnVsbA.e30',
      'W10.e30.e30',
      'MQ.e30.e30',
      'InN0ciI.e30.e30',
    ]) {
      expect(await viaRunApp(`Bearer ${token}`), token).toBe(401);
    }
    expect(await viaRunApp('Bearer x')).toBe(401);
    const again = await rawSocket(sidecar.port);
    const answer = await exchange(
      again,
      'GET http://target1.meshapps.internal/ HTTP/1.1\r\nhost: target1.meshapps.internal\r\nconnection: close\r\n\r\n',
    );
    expect(answer.text, answer.text).toContain('{"message":"target1"}');
  });
});

describe('defect 6: sockets inside CONNECT tunnels time out like direct ones', () => {
  const partial = (host: string) => `GET / HTTP/1.1\r\nhost: ${host}\r\nx-slow: 1\r\n`;

  it('headers that never finish: 408 and closed, directly, in a mesh tunnel and in a run.app tunnel', async () => {
    const direct = await rawSocket(sidecar.port);
    const mesh = await openTunnel(sidecar.port, 'target1.meshapps.internal:80');
    const tls = await tlsOver(await openTunnel(sidecar.port, `${RUN_APP}:443`), RUN_APP);
    const outcomes = await Promise.all([
      exchange(direct, 'GET http://target1.meshapps.internal/ HTTP/1.1\r\nhost: x\r\n', 3000),
      exchange(mesh, partial('target1.meshapps.internal'), 3000),
      exchange(tls, partial(RUN_APP), 3000),
    ]);
    for (const o of outcomes) {
      expect(statusOf(o.text)).toBe(408);
      expect(o.closedAfterMs).toBeDefined();
    }
  });

  it('an idle keep-alive connection in a tunnel is closed after the keep-alive timeout', async () => {
    const mesh = await openTunnel(sidecar.port, 'target1.meshapps.internal:80');
    const first = await exchange(mesh, 'GET / HTTP/1.1\r\nhost: target1.meshapps.internal\r\n\r\n', 3000);
    expect(statusOf(first.text)).toBe(200);
    expect(first.closedAfterMs).toBeDefined(); // the idle connection went, unasked
  });
});

describe('an Authorization the app set itself', () => {
  it("is replaced by the caller's ID token, and the hop's spans say so (unverified on Cloud Run)", async () => {
    const before = spans.length;
    const socket = await rawSocket(sidecar.port);
    const answer = await exchange(
      socket,
      'GET http://target1.meshapps.internal/ HTTP/1.1\r\nhost: target1.meshapps.internal\r\nauthorization: Bearer app-token\r\ntraceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b8-01\r\nconnection: close\r\n\r\n',
    );
    expect(answer.text).toContain('{"message":"target1"}');
    const deadline = Date.now() + 3000;
    while (spans.length < before + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const recorded = spans.slice(before);
    expect(recorded).toHaveLength(2);
    for (const s of recorded)
      expect(String(s.attributes['meshapps.app_authorization'])).toMatch(
        /^replaced by the sidecar's ID token/,
      );
  });
});

describe('defect 9: a hop whose caller gives up', () => {
  it('leaves a mesh log line (DC) and the sidecar spans, and the app sees its request cancelled', async () => {
    const before = { hops: hops.length, spans: spans.length, seen: seen.length };
    const socket = await rawSocket(sidecar.port);
    socket.write(
      'GET http://target1.meshapps.internal/slow HTTP/1.1\r\nhost: target1.meshapps.internal\r\ntraceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\r\n',
    );
    // Give up once the app has the request (as a caller's deadline would).
    const deadline = Date.now() + 3000;
    while (seen.length === before.seen && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(seen.length).toBe(before.seen + 1);
    socket.destroy();
    while (hops.length === before.hops && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));

    const hop = hops.at(-1) as HopEvent;
    expect(hop).toMatchObject({ caller: 'client', service: 'target1', status: 499, flags: 'DC' });
    expect(formatHop(hop)).toMatch(/client -> target1\.meshapps\.internal .* 499 .*DC: the caller went away/);
    const recorded = spans.slice(before.spans);
    expect(recorded.map((s) => s.name).sort()).toEqual([
      'egress target1.meshapps.internal',
      'ingress target1',
    ]);
    for (const s of recorded) {
      expect(s.status.code).toBe('error');
      expect(s.attributes['meshapps.response_flags']).toBe('DC');
    }
    while (!seen.at(-1)?.closedUnanswered && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(seen.at(-1)).toEqual({ url: '/slow', closedUnanswered: true });
  });

  it('an app that breaks off its answer: the caller is cut too (not left waiting), and the hop says UC', async () => {
    const socket = await rawSocket(sidecar.port);
    const { text, closedAfterMs } = await exchange(
      socket,
      'GET http://target1.meshapps.internal/half HTTP/1.1\r\nhost: target1.meshapps.internal\r\n\r\n',
      3000,
    );
    expect(text).toContain('{"message":');
    expect(closedAfterMs).toBeDefined();
    const deadline = Date.now() + 3000;
    while (hops.at(-1)?.flags !== 'UC' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(hops.at(-1)).toMatchObject({ status: 200, flags: 'UC' });
  });
});
