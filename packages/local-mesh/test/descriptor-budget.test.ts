import { type ChildProcess, spawn } from 'node:child_process';
import { createServer as createHttpServer, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ServiceSpec } from '@meshapps/mesh-config';
import { until } from '@meshapps/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudRunFront, MAX_IDLE_UPSTREAM } from '../src/cloud-run-front.ts';
import {
  DESCRIPTOR_BUDGET,
  DescriptorBudget,
  openFileLimit,
  sharedConnections,
} from '../src/descriptor-budget.ts';
import type { TokenIssuer } from '../src/identity.ts';
import { exchange, rawSocket, statusOf } from './helpers/raw.ts';

// Issue 22, 3 and 14: one listener could take every descriptor of the mesh process, and running
// out said nothing. Now each listener holds at most 1,024 connections, all of them together fit
// under the process's limit, a listener at a cap says so, and EMFILE says what to do.

describe('the caps, from the process limit', () => {
  it('1,024 per listener (Envoy), and two descriptors per connection for all of them under the limit', () => {
    expect(DESCRIPTOR_BUDGET.maxPerListener).toBe(1024);
    // This machine's 20,000: nine listeners may be full at once before the shared budget binds.
    expect(sharedConnections(20_000)).toBe(Math.floor((20_000 - DESCRIPTOR_BUDGET.reserved) / 2));
    expect(sharedConnections(20_000)).toBe(9872);
    expect(2 * sharedConnections(20_000) + DESCRIPTOR_BUDGET.reserved).toBeLessThanOrEqual(20_000);
    expect(sharedConnections(200)).toBe(0);
  });

  it('near the shared budget, a listener grows only by what is left of it; closing gives it back', async () => {
    const budget = new DescriptorBudget(DESCRIPTOR_BUDGET.reserved + 2 * 30);
    budget.reportTo(() => {});
    const [a, b] = [
      createServer((s) => s.on('error', () => {})),
      createServer((s) => s.on('error', () => {})),
    ];
    const held: Socket[] = [];
    try {
      for (const s of [a, b]) {
        await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
        budget.add(s, 'x');
      }
      const port = (s: Server) => (s.address() as { port: number }).port;
      for (let i = 0; i < 25; i++) held.push(await rawSocket(port(a)));
      await until(() => budget.open === 25, 'the budget did not count the 25 held connections');
      expect(b.maxConnections).toBe(5);
      let dropped = 0;
      b.on('drop', () => dropped++);
      for (let i = 0; i < 8; i++) held.push(await rawSocket(port(b)));
      // All eight reached the listener: five held, three closed at accept (the positive marker).
      await until(() => dropped === 3, 'listener b did not drop the three over its cap');
      expect(await connections(b)).toBe(5);
      expect(budget.open).toBe(30);
      for (const s of held.splice(0, 10)) s.destroy();
      await until(() => budget.open <= 20, 'the budget did not count the ten closed connections');
      expect(b.maxConnections).toBeGreaterThanOrEqual(15);
    } finally {
      for (const s of held) s.destroy();
      a.close();
      b.close();
    }
  });

  it('descriptors reserved for idle upstream sockets come off the shared budget, and come back', async () => {
    const budget = new DescriptorBudget(DESCRIPTOR_BUDGET.reserved + 2 * 30);
    budget.reportTo(() => {});
    const server = createServer();
    budget.add(server, 'x');
    expect(server.maxConnections).toBe(30);
    const release = budget.reserve(20);
    expect([budget.shared, server.maxConnections]).toEqual([20, 20]);
    release();
    release(); // once only
    expect([budget.shared, server.maxConnections]).toEqual([30, 30]);
    // This machine's 20,000 with the nine fronts of the topology.
    expect(sharedConnections(20_000, 9 * MAX_IDLE_UPSTREAM)).toBe(9800);
  });

  it('a limit too low for the listeners is said, with what to do', () => {
    const lines: string[] = [];
    const budget = new DescriptorBudget(DESCRIPTOR_BUDGET.reserved + 40);
    budget.reportTo((l) => lines.push(l));
    const servers = [createServer(), createServer()];
    for (const s of servers) budget.add(s, 'x');
    expect(lines).toEqual([
      expect.stringMatching(/^local mesh: ulimit -n 296 is too low for 2 listeners.*ulimit -n 4096/),
    ]);
  });

  it('reads the limit of this very process', () => {
    const limit = openFileLimit();
    expect(limit).toBeGreaterThan(0);
    const shell = spawn('sh', ['-c', 'ulimit -n']);
    return new Promise<void>((resolve) => {
      let out = '';
      shell.stdout.on('data', (d) => {
        out += d;
      });
      shell.on('close', () => {
        expect(String(limit)).toBe(out.trim() === 'unlimited' ? 'Infinity' : out.trim());
        resolve();
      });
    });
  });
});

describe('a listener at its cap', () => {
  const lines: string[] = [];
  let now = 0;
  const budget = new DescriptorBudget(DESCRIPTOR_BUDGET.reserved + 2 * 20, () => now);
  budget.reportTo((l) => lines.push(l));
  let server: Server;
  const held: Socket[] = [];
  beforeAll(async () => {
    server = createServer((s) => s.on('error', () => {}));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    budget.add(server, 'test listener');
  });
  afterAll(() => {
    for (const s of held) s.destroy();
    server.close();
  });
  const open = async (n: number) => {
    for (let i = 0; i < n; i++) held.push(await rawSocket((server.address() as { port: number }).port));
  };
  const accepted = () => new Promise<number>((r) => server.getConnections((_e, n) => r(n ?? 0)));

  it('takes exactly its cap, refuses the rest at accept, and says so once', async () => {
    expect(server.maxConnections).toBe(20);
    await open(25);
    await until(() => lines.length > 0, 'the listener did not say its cap was reached');
    expect(await accepted()).toBe(20);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^test listener: connection cap reached \(20 open, the process's 20 for all listeners \(ulimit -n 296\)\)/,
    );
  });

  it('takes connections again once some close, and says it again only a minute later', async () => {
    for (const s of held.splice(0, 5)) s.destroy();
    await until(async () => (await accepted()) <= 15, 'the five closed connections were still counted');
    await open(5);
    expect(await accepted()).toBeLessThanOrEqual(20);
    await open(3); // over the cap again, within the minute: counted, not said
    expect(lines).toHaveLength(1);
    now += 61_000;
    await open(1);
    await until(() => lines.length > 1, 'the listener did not say its cap again after a minute');
    expect(lines[1]).toMatch(/refused so far/);
  });

  it('EMFILE (or ENFILE) is said once a minute with what to do; other errors are not its business', () => {
    const said = lines.length;
    const emfile = Object.assign(new Error('x'), { code: 'EMFILE' });
    expect(budget.failed(emfile, 'somewhere')).toBe(true);
    expect(budget.failed(emfile, 'somewhere')).toBe(true);
    expect(budget.failed(Object.assign(new Error('x'), { code: 'ECONNRESET' }), 'x')).toBe(false);
    expect(lines.slice(said)).toHaveLength(1);
    expect(lines.at(-1)).toMatch(
      /^somewhere: out of file descriptors \(EMFILE\).*ulimit -n 65536.*\/proc\/\d+\/fd/,
    );
  });
});

describe("a front's idle sockets to its app", () => {
  // An app that holds every request until `release`, counting the sockets it sees.
  let app: HttpServer;
  let port = 0;
  const fronts: CloudRunFront[] = [];
  const waiting: ServerResponse[] = [];
  let opened = 0;
  let closed = 0;
  beforeAll(async () => {
    app = createHttpServer((_req, res) => void waiting.push(res));
    app.on('connection', (s: Socket) => {
      opened++;
      s.once('close', () => closed++);
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    port = (app.address() as { port: number }).port;
  });
  afterAll(() => {
    for (const f of fronts) f.close();
    app.closeAllConnections();
    app.close();
  });
  /** A fresh front (an empty pool) to the app; the counts start again. */
  const newFront = () => {
    const spec = { name: 'client', ingress: 'all', entry: 'load-balancer' } as ServiceSpec;
    const issuer = {} as TokenIssuer; // a public entry: no token is verified
    const front = new CloudRunFront({
      spec,
      invokers: new Set(),
      audiences: [],
      issuer,
      appPort: () => port,
    });
    fronts.push(front);
    [opened, closed] = [0, 0];
    return front;
  };
  const get = async (front: CloudRunFront) => {
    const { answer } = await front.send(
      { method: 'GET', url: '/', headers: {}, body: Buffer.alloc(0) },
      'load-balancer',
    );
    const a = await answer;
    for await (const _ of a.body);
    return a.status;
  };

  it('after a burst of 40 at once, the pool keeps MAX_IDLE_UPSTREAM and closes the rest as they come free', async () => {
    const front = newFront();
    const burst = Array.from({ length: 40 }, () => get(front));
    await until(() => waiting.length === 40, 'the app did not get all 40 requests of the burst');
    for (const res of waiting.splice(0)) res.end('ok');
    expect(await Promise.all(burst)).toEqual(Array(40).fill(200));
    // Closed as they came free: long before the pool's 4 s idle timeout would have closed them all.
    await until(
      () => closed >= 40 - MAX_IDLE_UPSTREAM,
      'the front did not close its sockets beyond MAX_IDLE_UPSTREAM as they came free',
      3000,
    );
    expect({ opened, closed, open: await connections(app) }).toEqual({
      opened: 40,
      closed: 40 - MAX_IDLE_UPSTREAM,
      open: MAX_IDLE_UPSTREAM,
    });
  });

  it('load of 8 in flight whose answers all come at once reuses its sockets: no new connection per wave', async () => {
    // The case a small pool would hurt: eight sockets come free together, and the next eight
    // requests arrive only after (as the bench's 8 connections can line up). All eight must wait.
    const front = newFront();
    for (let wave = 0; wave < 25; wave++) {
      const sent = Array.from({ length: 8 }, () => get(front));
      await until(() => waiting.length === 8, `the app did not get the 8 requests of wave ${wave}`);
      for (const res of waiting.splice(0)) res.end('ok');
      expect(await Promise.all(sent)).toEqual(Array(8).fill(200));
      await new Promise((r) => setTimeout(r, 1));
    }
    expect({ opened, closed }).toEqual({ opened: 8, closed: 0 });
  });
});

describe('a mesh process out of descriptors, for real', () => {
  let app: HttpServer;
  let child: ChildProcess;
  const out: string[] = [];
  let port = 0;
  const say = (line: string) => child.stdin?.write(`${line}\n`);
  beforeAll(async () => {
    // `connection: close`: every request needs a new socket to the app (none waits in the pool).
    app = createHttpServer((_req, res) =>
      res.writeHead(200, { connection: 'close' }).end('{"message":"client"}'),
    );
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    child = spawn(
      process.execPath,
      [
        '--conditions=source',
        join(import.meta.dirname, 'helpers/emfile-front.ts'),
        String((app.address() as { port: number }).port),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (l) => out.push(l));
    await until(
      () => out.some((l) => l.startsWith('port ')),
      'the front process did not say its port',
      20_000,
    );
    port = Number(out.find((l) => l.startsWith('port '))?.slice(5));
  });
  afterAll(async () => {
    child.kill();
    app.closeAllConnections();
    app.close();
  });

  it("a request whose front cannot open a socket to the app: Cloud Run's 503, and one line saying what to do", async () => {
    // A keep-alive connection opened while descriptors are left; then the process runs out.
    const socket = await rawSocket(port);
    const get = 'GET / HTTP/1.1\r\nhost: lb\r\n\r\n';
    expect(statusOf((await exchange(socket, get, 1000)).text)).toBe(200);
    say('fill');
    await until(() => out.includes('full'), 'the front process did not say its descriptors are full');
    expect(statusOf((await exchange(socket, get, 1000)).text)).toBe(503);
    expect(statusOf((await exchange(socket, get, 1000)).text)).toBe(503);
    const said = out.filter((l) => l.includes('out of file descriptors'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(
      /^Cloud Run front of client: out of file descriptors \(EMFILE\) — .*ulimit -n 65536/,
    );
    say('free');
    await until(() => out.includes('free'), 'the front process did not say its descriptors are free');
    expect(statusOf((await exchange(socket, get, 1000)).text)).toBe(200);
    socket.destroy();
  });
});

const connections = (s: Server) => new Promise<number>((r) => s.getConnections((_e, n) => r(n ?? 0)));
