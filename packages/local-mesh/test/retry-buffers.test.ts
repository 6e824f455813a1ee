import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { loadRoutes, loadTopology, REPO_ROOT, TOPOLOGY_FILE } from '@meshapps/mesh-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatHop } from '../src/log-format.ts';
import { RETRY_BUFFER_LIMITS, type RetryBody, RetryBuffers } from '../src/retry-buffers.ts';
import { json, type MiniMesh, seeded, startMiniMesh } from './helpers/mini-mesh.ts';
import { rawSocket } from './helpers/raw.ts';

// Issue 22, 9: a retry policy keeps each request's body (up to Envoy's 1 MiB), and nothing bounded
// all of them: 1,500 held uploads kept 1.5 GB in the mesh process. Small limits here, the same code.
const buffers = new RetryBuffers({ perRequestBytes: 1000, totalBytes: 2500 });

let server: Server;
/** What `read` made of each request, in arrival order; the test releases them. */
const read: Promise<RetryBody>[] = [];
beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    const body = buffers.read(req);
    read.push(body);
    body.then(
      () => res.end('read'),
      () => res.destroy(),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const port = () => (server.address() as AddressInfo).port;
function post(bytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: port(), method: 'POST' }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end(Buffer.alloc(bytes, 'x'));
  });
}
const bodyText = async (body: RetryBody) => ('kept' in body ? body.kept.toString() : await text(body.stream));

describe('RetryBuffers', () => {
  it("keeps a body within both limits, counted until it is released; Envoy's default is 1 MiB", async () => {
    expect(RETRY_BUFFER_LIMITS.perRequestBytes).toBe(1024 * 1024);
    await post(600);
    const body = await (read.at(-1) as Promise<RetryBody>);
    expect('kept' in body && body.kept.length).toBe(600);
    expect(buffers.heldBytes).toBe(600);
    body.release();
    body.release();
    expect(buffers.heldBytes).toBe(0);
  });

  it('streams a body over the per-request limit, whole, and says why', async () => {
    await post(1500);
    const body = await (read.at(-1) as Promise<RetryBody>);
    expect('stream' in body && body.why).toBe('over the 1 MiB per-request retry buffer');
    expect(await bodyText(body)).toBe('x'.repeat(1500));
    body.release();
    expect(buffers.heldBytes).toBe(0);
  });

  it('past the budget for all requests, streams instead of keeping; released, the budget is whole again', async () => {
    const from = read.length;
    for (let i = 0; i < 3; i++) await post(900);
    const bodies = await Promise.all(read.slice(from));
    expect(bodies.map((b) => ('kept' in b ? 'kept' : b.why))).toEqual([
      'kept',
      'kept',
      'over the retry buffer budget',
    ]);
    expect(buffers.heldBytes).toBe(1800);
    expect(await bodyText(bodies[2] as RetryBody)).toBe('x'.repeat(900));
    for (const b of bodies) b.release();
    expect(buffers.heldBytes).toBe(0);
  });

  it('a client that goes away mid-body leaves nothing counted', async () => {
    const from = read.length;
    const socket = await rawSocket(port());
    socket.write(`POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 800\r\n\r\n${'x'.repeat(400)}`);
    const deadline = Date.now() + 3000;
    while (buffers.heldBytes < 400 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(buffers.heldBytes).toBe(400);
    socket.destroy();
    await expect(read[from]).rejects.toThrow();
    expect(buffers.heldBytes).toBe(0);
  });
});

describe('a hop under retry.yaml once the budget is spent', () => {
  // Room for one 600-byte body at a time; target2 fails every first attempt of a request.
  const small = new RetryBuffers({ perRequestBytes: RETRY_BUFFER_LIMITS.perRequestBytes, totalBytes: 1000 });
  const attempts = new Map<string, number>();
  let mesh: MiniMesh;
  beforeAll(async () => {
    const topology = loadTopology(TOPOLOGY_FILE);
    mesh = await startMiniMesh({
      topology,
      routes: loadRoutes(join(REPO_ROOT, 'docs/examples/routes/resilience'), topology),
      apps: {
        target2: (req, res) => {
          const no = String(req.headers['x-request-no']);
          const n = (attempts.get(no) ?? 0) + 1;
          attempts.set(no, n);
          req.resume();
          req.on('end', () =>
            n === 1 ? json(res, 503, { error: 'first attempt' }) : json(res, 200, { ok: n }),
          );
        },
      },
      callers: ['client'],
      random: seeded(9),
      schedule: (ms, fn) => {
        const t = setTimeout(fn, ms / 20);
        return () => clearTimeout(t);
      },
      retryBuffers: small,
    });
  });
  afterAll(() => mesh.close());

  const post = (no: number, bytes: number) =>
    mesh.call('client', 'http://retry.meshapps.internal/', {
      method: 'POST',
      body: 'x'.repeat(bytes),
      headers: { 'x-request-no': String(no), 'content-length': String(bytes) },
    });

  it('a body that fits is kept and retried (Envoy semantics, unchanged)', async () => {
    expect(await post(1, 600)).toMatchObject({ status: 200 });
    expect(mesh.hops.at(-1)).toMatchObject({ status: 200, attempts: 2 });
    expect(small.heldBytes).toBe(0);
  });

  it('a body the budget cannot take is streamed once: its 503 passes, and the log line says why', async () => {
    expect(await post(2, 1200)).toMatchObject({ status: 503 });
    const hop = mesh.hops.at(-1);
    expect(hop).toMatchObject({ status: 503, notRetried: 'over the retry buffer budget' });
    expect(hop?.attempts).toBeUndefined();
    expect(formatHop(hop as never)).toMatch(/503 {2}.*\(not retried: body over the retry buffer budget\)/);
    expect(small.heldBytes).toBe(0);
  });

  it('a streamed body whose client goes away mid-upload ends that request only', async () => {
    const socket = await rawSocket(mesh.port('client'));
    socket.on('error', () => {});
    socket.write(
      `POST http://retry.meshapps.internal/ HTTP/1.1\r\nhost: retry.meshapps.internal\r\nx-request-no: 3\r\ncontent-length: 5000\r\n\r\n${'x'.repeat(1500)}`,
    );
    const deadline = Date.now() + 3000;
    while (!attempts.has('3') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    socket.destroy();
    while (mesh.hops.at(-1)?.flags !== 'DC' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    expect(mesh.hops.at(-1)).toMatchObject({ status: 499, flags: 'DC' });
    expect(await post(4, 600)).toMatchObject({ status: 200 });
  });
});
