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
    let picks = 0;
    try {
      // The taken port first, then free ones (picked when asked, as startApp does).
      const app = await startApp(spec, { pickPort: async () => (picks++ === 0 ? taken : freePort()) });
      expect(picks).toBe(2); // the first start was given up
      expect(app.port).not.toBe(taken);
      const res = await fetch(`${app.url}/`);
      expect(await res.json()).toEqual({ hello: 'world' });
      await app.stop();
    } finally {
      await new Promise((resolve) => impostor.close(resolve));
    }
  });

  it('on a free port: timed from spawn to its first 200', async () => {
    const app = await startApp(spec);
    expect(app.firstOkMs).toBeGreaterThan(0);
    expect(await (await fetch(`${app.url}/`)).json()).toEqual({ hello: 'world' });
    await app.stop();
  });
});
