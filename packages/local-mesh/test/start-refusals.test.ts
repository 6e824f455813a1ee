import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSourceCli } from '@meshapps/test-fixtures';
import { afterEach, describe, expect, it } from 'vitest';

// What the participant's machine can get wrong is said before a single app starts, with the path
// or the flag to change (issue 22, items 14 and 15). "starting 9 services" marks that apps started.
const CLI = 'packages/local-mesh/src/cli.ts';
const FREE = ['--port', '0', '--participant-port', '0', '--trace-port', '0'];
const APPS_STARTED = 'starting 9 services';

let dir: string;
let held: Server | undefined;
afterEach(async () => {
  rmSync(dir, { recursive: true, force: true });
  await new Promise((r) => (held ? held.close(r) : r(undefined)));
  held = undefined;
});
function scratch(): string {
  dir = mkdtempSync(join(tmpdir(), 'meshapps-refusals-'));
  return dir;
}

describe('refused before anything starts', () => {
  it('a --ready-file that cannot be written: the path and why, and no "ready" first', async () => {
    const file = join(scratch(), 'no-such-folder', 'ready.json');
    const { code, out } = await runSourceCli(CLI, [...FREE, '--ready-file', file]);
    expect(code).toBe(2);
    expect(out).toContain(`pnpm start: --ready-file ${file}: cannot write there (ENOENT)`);
    expect(out).not.toMatch(/local-mesh\s+ready\./);
    expect(out).not.toContain(APPS_STARTED);
  });

  it('a taken load balancer port: said before the apps start, with the flag that moves it', async () => {
    held = createServer();
    await new Promise<void>((r) => held?.listen(0, '127.0.0.1', r));
    const taken = (held.address() as { port: number }).port;
    scratch();
    const { code, out } = await runSourceCli(CLI, [...FREE, '--port', String(taken)]);
    expect(code).toBe(1);
    expect(out).toContain(
      `local mesh not started: port ${taken} is in use: pass --port <free port> (the load-balancer of client)`,
    );
    expect(out).not.toContain(APPS_STARTED);
  });

  it('a temporary folder that cannot be written: that folder, and TMPDIR as the way out', async () => {
    const missing = join(scratch(), 'gone');
    const { code, out } = await runSourceCli(CLI, FREE, { TMPDIR: missing });
    expect(code).toBe(1);
    expect(out).toContain(
      `local mesh not started: cannot write the local mesh's temporary files: ${missing}: ENOENT. Free some space there, or give the mesh another temporary folder: TMPDIR=/a/folder/with/room pnpm start`,
    );
    expect(out).not.toContain(APPS_STARTED);
  });
});
