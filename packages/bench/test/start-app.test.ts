import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { freePort } from '@meshapps/local-mesh';
import { describe, expect, it } from 'vitest';
import { startApp } from '../src/apps.ts';

const BARE = fileURLToPath(new URL('../src/bare-fastify.js', import.meta.url));
const spec = { name: 'bare', args: [BARE], cwd: fileURLToPath(new URL('..', import.meta.url)), env: {} };

describe('startApp measures its own process', () => {
  it('a 200 from another process that took the port first is not taken for ours: started again on a new port', async () => {
    const taken = await freePort();
    const impostor = createServer((_req, res) => res.end('{"hello":"impostor"}'));
    await new Promise<void>((resolve) => impostor.listen(taken, '127.0.0.1', resolve));
    const ports = [taken, await freePort()];
    try {
      const app = await startApp(spec, { pickPort: async () => ports.shift() as number });
      expect(ports).toEqual([]); // both were used: the first start was given up
      expect(app.port).not.toBe(taken);
      const res = await fetch(`${app.url}/`);
      expect(await res.json()).toEqual({ hello: 'world' });
      await app.stop();
    } finally {
      await new Promise((resolve) => impostor.close(resolve));
    }
  });

  it('on a free port: started once, timed to its first 200', async () => {
    let picks = 0;
    const app = await startApp(spec, {
      pickPort: () => {
        picks++;
        return freePort();
      },
    });
    expect(picks).toBe(1);
    expect(app.firstOkMs).toBeGreaterThan(0);
    await app.stop();
  });
});
