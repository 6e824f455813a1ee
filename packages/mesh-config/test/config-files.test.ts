import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ConfigText,
  loadTopology,
  MAX_CONFIG_BYTES,
  readConfigFile,
  readConfigFileSync,
  readRouteFiles,
  readRouteFilesSync,
} from '../src/index.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'meshapps-config-files-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Both readers: the async one (the running mesh) and the sync one (tools, before serving). */
const readers: [string, (file: string, limit?: number) => Promise<ConfigText>][] = [
  ['async', (f, l) => readConfigFile(f, l)],
  ['sync', async (f, l) => readConfigFileSync(f, l)],
];

describe.each(readers)('the bounded config reader (%s)', (_kind, read) => {
  it('reads a regular file, and a symlink to another file of the same folder', async () => {
    writeFileSync(join(dir, 'a.yaml'), 'name: a\n');
    symlinkSync('a.yaml', join(dir, 'b.yaml'));
    expect(await read(join(dir, 'a.yaml'))).toEqual({ file: join(dir, 'a.yaml'), text: 'name: a\n' });
    expect((await read(join(dir, 'b.yaml'))).text).toBe('name: a\n');
  });

  it('refuses a symlink to a device (/dev/zero would be read forever) by name and kind', async () => {
    symlinkSync('/dev/zero', join(dir, 'zero.yaml'));
    await expect(read(join(dir, 'zero.yaml'))).rejects.toThrow(
      `${join(dir, 'zero.yaml')}: is a symlink leading out of its folder (to /dev/zero): refused`,
    );
  });

  it('refuses a FIFO without blocking on it, and a directory', async () => {
    execFileSync('mkfifo', [join(dir, 'pipe.yaml')]);
    await expect(read(join(dir, 'pipe.yaml'))).rejects.toThrow(
      'is a FIFO (named pipe), not a regular file: refused',
    );
    mkdirSync(join(dir, 'dir.yaml'));
    await expect(read(join(dir, 'dir.yaml'))).rejects.toThrow('is a directory, not a regular file: refused');
  });

  it('refuses a symlink out of the folder even to a regular file, and a dangling one', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'meshapps-outside-'));
    try {
      writeFileSync(join(outside, 'route.yaml'), 'name: x\n');
      symlinkSync(join(outside, 'route.yaml'), join(dir, 'x.yaml'));
      await expect(read(join(dir, 'x.yaml'))).rejects.toThrow('is a symlink leading out of its folder');
      symlinkSync(join(dir, 'nothing.yaml'), join(dir, 'dangling.yaml'));
      await expect(read(join(dir, 'dangling.yaml'))).rejects.toThrow('not found');
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('refuses a file above the cap before reading it, naming the file and the cap', async () => {
    const huge = join(dir, 'huge.yaml');
    writeFileSync(huge, '');
    truncateSync(huge, 120 * 1024 * 1024); // 120 MB, sparse: what aborted V8 when read and parsed
    await expect(read(huge)).rejects.toThrow(
      `${huge}: is 125,829,120 bytes; the cap for a config file is 262,144 bytes (256 KiB), far above any real route: refused`,
    );
    writeFileSync(join(dir, 'edge.yaml'), 'x'.repeat(1001));
    await expect(read(join(dir, 'edge.yaml'), 1000)).rejects.toThrow('is 1,001 bytes; the cap');
    expect((await read(join(dir, 'edge.yaml'), 1001)).text).toHaveLength(1001);
  });
});

describe('every reader of route and topology files goes through it', () => {
  it('readRouteFiles, readRouteFilesSync and loadTopology refuse what the reader refuses', async () => {
    writeFileSync(join(dir, 'a.yaml'), 'name: a\n');
    symlinkSync('/dev/zero', join(dir, 'z.yaml'));
    await expect(readRouteFiles(dir)).rejects.toThrow('z.yaml: is a symlink leading out of its folder');
    expect(() => readRouteFilesSync(dir)).toThrow('z.yaml: is a symlink leading out of its folder');
    expect(() => loadTopology(join(dir, 'z.yaml'))).toThrow('z.yaml: is a symlink leading out of its folder');
    expect(MAX_CONFIG_BYTES).toBe(256 * 1024);
  });
});
