import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, realpathSync } from 'node:fs';
import { open, readdir, realpath } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';

/**
 * The one reader of the files the mesh and the route tools read (route YAML, the topology): at
 * start, in `routes:check`, `routes:render`, the canary, and on every live edit. It reads only a
 * regular file inside its folder (a symlink may point elsewhere in the folder, never out of it),
 * and at most MAX_CONFIG_BYTES: a symlink to /dev/zero, a FIFO or a 100 MB description is refused
 * by name, before a byte is parsed (docs/decisions/066-files-the-mesh-reads-are-bounded.md).
 *
 * 256 KiB is ~1,000 rules, 280 times the largest route in this repository (932 bytes); parsing
 * and checking a file that size is what a live edit may cost the event loop (decision 066).
 */
export const MAX_CONFIG_BYTES = 256 * 1024;

/** A file refused by the reader: which one, and why, in one line. */
export class ConfigFileError extends Error {
  readonly file: string;
  constructor(file: string, reason: string) {
    super(`${file}: ${reason}`);
    this.name = 'ConfigFileError';
    this.file = file;
  }
}

export interface ConfigText {
  file: string;
  text: string;
}

// O_NONBLOCK: a file swapped for a FIFO between the checks and open() must not hang a thread.
const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;
const CHUNK = 64 * 1024;

/** The route files of `dir` (`*.yaml`, `*.yml`), sorted: names only, nothing is opened. */
export function routeFilesIn(dir: string): string[] {
  return routeFilesAmong(dir, readdirSync(dir));
}

async function routeFilesInAsync(dir: string): Promise<string[]> {
  return routeFilesAmong(dir, await readdir(dir));
}

function routeFilesAmong(dir: string, names: readonly string[]): string[] {
  return names
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((f) => join(dir, f));
}

/** Every route file of `dir`, each read by `readConfigFile`; the first refusal throws. */
export async function readRouteFiles(dir: string, limit = MAX_CONFIG_BYTES): Promise<ConfigText[]> {
  const files: ConfigText[] = [];
  for (const file of await routeFilesInAsync(dir)) files.push(await readConfigFile(file, limit));
  return files;
}

/** `readRouteFiles` for the command-line tools, before anything serves (same checks, same cap). */
export function readRouteFilesSync(dir: string, limit = MAX_CONFIG_BYTES): ConfigText[] {
  return routeFilesIn(dir).map((file) => readConfigFileSync(file, limit));
}

/**
 * Reads one config file off the event loop: resolves it inside its folder, opens it without
 * blocking, checks the opened descriptor is a regular file no larger than `limit`, and reads at
 * most `limit + 1` bytes (a file that grows past the cap while being read is refused too).
 */
export async function readConfigFile(file: string, limit = MAX_CONFIG_BYTES): Promise<ConfigText> {
  const target = withinFolder(file, await realpath(dirname(file)), await realpathOf(file));
  const handle = await open(target, FLAGS);
  try {
    const stat = await handle.stat();
    refuseUnlessRegular(file, stat, limit);
    // To end of file or cap + 1, whatever stat said: a file still being written grows meanwhile.
    const buffer = Buffer.allocUnsafe(limit + 1);
    let length = 0;
    for (;;) {
      const want = Math.min(CHUNK, buffer.length - length);
      if (want === 0) break;
      const { bytesRead } = await handle.read(buffer, length, want, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return { file, text: decode(file, buffer, length, limit) };
  } finally {
    await handle.close();
  }
}

/** The same checks and cap, synchronously: for tools that serve nothing while they read. */
export function readConfigFileSync(file: string, limit = MAX_CONFIG_BYTES): ConfigText {
  const target = withinFolder(file, realpathSync(dirname(file)), realpathSyncOf(file));
  const fd = openSync(target, FLAGS);
  try {
    const stat = fstatSync(fd);
    refuseUnlessRegular(file, stat, limit);
    // To end of file or cap + 1, whatever stat said: a file still being written grows meanwhile.
    const buffer = Buffer.allocUnsafe(limit + 1);
    let length = 0;
    for (;;) {
      const want = Math.min(CHUNK, buffer.length - length);
      if (want === 0) break;
      const bytesRead = readSync(fd, buffer, length, want, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return { file, text: decode(file, buffer, length, limit) };
  } finally {
    closeSync(fd);
  }
}

async function realpathOf(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch (err) {
    throw unreadable(file, err);
  }
}

function realpathSyncOf(file: string): string {
  try {
    return realpathSync(file);
  } catch (err) {
    throw unreadable(file, err);
  }
}

function unreadable(file: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return new ConfigFileError(file, 'not found (a symlink to nothing, or the file went away)');
  if (code === 'ELOOP') return new ConfigFileError(file, 'a symlink loop');
  return err as Error;
}

/** A symlink may lead elsewhere in the file's own folder, never out of it. */
function withinFolder(file: string, folder: string, target: string): string {
  const inside = relative(folder, target);
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || inside.startsWith(sep)) {
    throw new ConfigFileError(file, `is a symlink leading out of its folder (to ${target}): refused`);
  }
  return target;
}

function refuseUnlessRegular(
  file: string,
  stat: {
    isFile(): boolean;
    isFIFO(): boolean;
    isCharacterDevice(): boolean;
    isBlockDevice(): boolean;
    isSocket(): boolean;
    isDirectory(): boolean;
    size: number;
  },
  limit: number,
): void {
  if (!stat.isFile()) throw new ConfigFileError(file, `is ${kindOf(stat)}, not a regular file: refused`);
  if (stat.size > limit) throw tooLarge(file, stat.size, limit);
}

function decode(file: string, buffer: Buffer, length: number, limit: number): string {
  if (length > limit) throw tooLarge(file, undefined, limit);
  return buffer.subarray(0, length).toString('utf8');
}

function tooLarge(file: string, size: number | undefined, limit: number): ConfigFileError {
  const was =
    size === undefined ? 'grew past it while being read' : `is ${size.toLocaleString('en-US')} bytes`;
  return new ConfigFileError(
    file,
    `${was}; the cap for a config file is ${limit.toLocaleString('en-US')} bytes (${limit / 1024} KiB), far above any real route: refused`,
  );
}

function kindOf(stat: {
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
  isDirectory(): boolean;
}): string {
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  if (stat.isDirectory()) return 'a directory';
  return 'not a regular file';
}
