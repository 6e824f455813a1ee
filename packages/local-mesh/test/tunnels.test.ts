import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ServiceSpec } from '@meshapps/mesh-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenIssuer } from '../src/identity.ts';
import { createRunAppServer } from '../src/run-app-server.ts';
import { makeRunAppTls } from '../src/run-app-tls.ts';
import { LISTENER_TIMEOUTS, type ListenerTimeouts } from '../src/timeouts.ts';
import { exchange, openTunnel, statusOf, tlsOver } from './helpers/raw.ts';
import { clientSidecar, meshService, target1Front } from './helpers/target1.ts';

// Issue 22, 3: CONNECT tunnels to a run.app host that their client closed before TLS stayed open
// for Node's 120 s TLS handshake timeout, and ~170 per second held every descriptor of the mesh.
// Two sidecars: one with the real timeouts (a FIN must end a tunnel at once, long before any
// timer), one with a 300 ms handshake timeout (a client that never finishes TLS is cut by it).
const RUN_APP = 'target1-123456789012.asia-northeast1.run.app';
const SHORT: ListenerTimeouts = { ...LISTENER_TIMEOUTS, tlsHandshakeMs: 300 };
const spec = (name: string): ServiceSpec => meshService(name, { ingress: 'all' });

let app: Server;
const sidecars: Record<'real' | 'short', { port: number; close: () => Promise<void> }> = {} as never;
const runApps: Server[] = [];

beforeAll(async () => {
  app = createServer((_req, res) => res.writeHead(200).end('{"message":"target1"}'));
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  const issuer = new TokenIssuer();
  const tls = await makeRunAppTls();
  for (const [name, timeouts] of [
    ['real', LISTENER_TIMEOUTS],
    ['short', SHORT],
  ] as const) {
    const front = target1Front(spec('target1'), app, issuer, `https://${RUN_APP}`);
    const runApp = createRunAppServer(tls, new Map([[RUN_APP, front]]), timeouts);
    runApps.push(runApp);
    sidecars[name] = await clientSidecar(spec('client'), front, {
      runApp: { server: runApp, hosts: new Set([RUN_APP]) },
      issuer,
      timeouts,
    });
  }
});
afterAll(async () => {
  for (const s of Object.values(sidecars)) await s.close();
  for (const r of runApps) r.closeAllConnections();
  app.closeAllConnections();
  await new Promise<void>((r) => app.close(() => r()));
});

/** Resolves with ms until the mesh closed `socket`, or undefined if it is still open after `ms`. */
function closedWithin(socket: Socket, ms: number): Promise<number | undefined> {
  const started = performance.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(performance.now() - started);
    });
    socket.on('error', () => {});
  });
}

describe('a CONNECT tunnel whose client closes it before its first byte', () => {
  it.each([`${RUN_APP}:443`, 'target1.meshapps.internal:80'])(
    "to %s ends at once on the client's FIN, with Node's handshake timeout nowhere near",
    async (target) => {
      const socket = await openTunnel(sidecars.real.port, target);
      const closed = closedWithin(socket, 2000);
      socket.end();
      expect(await closed).toBeLessThan(1000);
    },
  );

  it('1,000 of them in a row leave no descriptor open behind them', async () => {
    // Client and mesh ends both live in this process: its descriptors are the ones to count.
    const before = descriptors();
    for (let i = 0; i < 1000; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          const socket = await openTunnel(sidecars.real.port, `${RUN_APP}:443`);
          const closed = closedWithin(socket, 2000);
          socket.end();
          expect(await closed).toBeDefined();
        }),
      );
    }
    expect(descriptors()).toBeLessThanOrEqual(before + 2);
  });
});

describe('a tunnel whose client never completes TLS', () => {
  it('sending nothing: closed at the TLS handshake timeout', async () => {
    const socket = await openTunnel(sidecars.short.port, `${RUN_APP}:443`);
    const ms = await closedWithin(socket, 3000);
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(3000);
  });

  it('a few bytes of a ClientHello, then silence: closed at the TLS handshake timeout', async () => {
    const socket = await openTunnel(sidecars.short.port, `${RUN_APP}:443`);
    socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]));
    const ms = await closedWithin(socket, 3000);
    expect(ms).toBeDefined();
    expect(ms).toBeLessThan(3000);
  });

  it('a client that does complete TLS is served as before (first bytes sent with the CONNECT too)', async () => {
    const tls = await tlsOver(await openTunnel(sidecars.real.port, `${RUN_APP}:443`), RUN_APP);
    const { text } = await exchange(
      tls,
      `GET / HTTP/1.1\r\nhost: ${RUN_APP}\r\nconnection: close\r\n\r\n`,
      3000,
    );
    expect(statusOf(text)).toBe(401); // no token: Cloud Run's own answer, from behind TLS
    const mesh = await openTunnel(sidecars.real.port, 'target1.meshapps.internal:80');
    const answer = await exchange(
      mesh,
      'GET / HTTP/1.1\r\nhost: target1.meshapps.internal\r\nconnection: close\r\n\r\n',
    );
    expect(answer.text).toContain('{"message":"target1"}');
  });
});

const descriptors = () => readdirSync('/proc/self/fd').length;
