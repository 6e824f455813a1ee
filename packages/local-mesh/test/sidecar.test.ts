import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect } from 'node:net';
import type { ServiceSpec } from '@meshapps/mesh-config';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TokenIssuer } from '../src/identity.ts';
import { clientSidecar, meshService, target1Front } from './helpers/target1.ts';

const spec = (name: string, invokers: string[] = []): ServiceSpec => meshService(name, { invokers });

// target1's "app": answers with the token it was given and deliberately hop-by-hop headers.
const seenTokens: string[] = [];
let app: Server;
let sidecar: { port: number; close: () => Promise<void> };
const issuer = new TokenIssuer({ lifetimeSeconds: 2 });

beforeAll(async () => {
  app = createServer((req, res) => {
    seenTokens.push(String(req.headers.authorization));
    res.writeHead(200, {
      'content-type': 'application/json',
      connection: 'keep-alive',
      'keep-alive': 'timeout=72',
    });
    res.end('{"message":"target1"}');
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  const front = target1Front(
    spec('target1', ['client']),
    app,
    issuer,
    'https://target1-123456789012.asia-northeast1.run.app',
  );
  sidecar = await clientSidecar(spec('client'), front, {
    runApp: { server: createHttpsServer(), hosts: new Set() },
    issuer,
  });
});
afterAll(async () => {
  await sidecar.close();
  await new Promise<void>((r) => app.close(() => r()));
});

/** Sends raw bytes to the sidecar and returns what came back (or '' if it was cut). */
function raw(bytes: string, resetEarly = false): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(sidecar.port, '127.0.0.1', () => {
      socket.write(bytes);
      if (resetEarly) socket.resetAndDestroy();
    });
    let text = '';
    socket.on('data', (d) => {
      text += d;
    });
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(text));
    setTimeout(() => socket.destroy(), 1000);
  });
}

const viaSidecar = (path = '/') =>
  raw(
    `GET http://target1.meshapps.internal${path} HTTP/1.1\r\nhost: target1.meshapps.internal\r\nconnection: close\r\n\r\n`,
  );

describe('the sidecar survives bad clients', () => {
  it('a client resetting a refused CONNECT does not bring the mesh down', async () => {
    for (let i = 0; i < 5; i++)
      await raw('CONNECT evil.example:443 HTTP/1.1\r\nhost: evil.example:443\r\n\r\n', true);
    expect(await viaSidecar()).toContain('{"message":"target1"}');
  });

  it('refuses CONNECT to hosts outside the mesh and the emulated run.app URLs', async () => {
    expect(await raw('CONNECT 169.254.169.254:80 HTTP/1.1\r\nhost: x\r\n\r\n')).toMatch(/^HTTP\/1.1 403/);
  });

  it('a malformed absolute URL is a 400, not a crash', async () => {
    expect(await raw('GET http://[bad/ HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n')).toMatch(
      /^HTTP\/1.1 400/,
    );
    expect(await viaSidecar()).toContain('{"message":"target1"}');
  });

  it('origin-form requests are not proxy requests: 400 saying how to use it', async () => {
    expect(await raw('GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n')).toContain(
      'send absolute-form proxy requests',
    );
  });
});

describe('relaying', () => {
  it("strips the app's hop-by-hop headers from the answer", async () => {
    const answer = await viaSidecar();
    expect(answer).not.toMatch(/keep-alive: timeout=72/i);
  });

  it('renews the caller token before it expires, whatever the token lifetime', async () => {
    // Only Date is faked: the token cache, the issuer and the front read it; sockets stay real.
    // Start past the renewal point of any token an earlier test cached (2 s lifetime), so the
    // first call mints a token at the faked time and the steps below are measured from it.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 5_000 });
    try {
      seenTokens.length = 0;
      await viaSidecar();
      vi.setSystemTime(Date.now() + 900); // not yet half of the 2 s lifetime
      await viaSidecar();
      vi.setSystemTime(Date.now() + 200); // past half of it
      await viaSidecar();
      expect(seenTokens[0]).toBe(seenTokens[1]);
      expect(seenTokens[2]).not.toBe(seenTokens[1]);
      expect(seenTokens[2]).toMatch(/^Bearer /);
    } finally {
      vi.useRealTimers();
    }
  });
});
