import { renameSync, rmSync, writeFileSync } from 'node:fs';
import type { ReadyFile as ReadyFileContent } from './mesh-process.ts';

/**
 * `pnpm start --ready-file FILE`: the URLs and pids as JSON while the mesh is ready, for scripts and
 * tests. The file is claimed before anything starts (a path that cannot be written is refused at
 * once, not after "ready"), any file left there by an earlier run is removed (a script waiting
 * for it would read a dead mesh's URLs), it is rewritten when a pid in it changes (the trace
 * collector started again), and removed when the mesh stops.
 */
export class ReadyFileWriter {
  readonly path: string;
  private readonly partial: string;
  private written = '';

  private constructor(path: string) {
    this.path = path;
    this.partial = `${path}.partial`;
  }

  /** Throws a message naming the path when it cannot be written. */
  static claim(path: string): ReadyFileWriter {
    const file = new ReadyFileWriter(path);
    try {
      rmSync(path, { force: true });
      writeFileSync(file.partial, '');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new Error(`--ready-file ${path}: cannot write there (${e.code ?? e.message})`);
    }
    return file;
  }

  /** Written aside, then renamed: whoever waits for the file never reads it half-written. */
  write(content: ReadyFileContent): void {
    const text = JSON.stringify(content);
    if (text === this.written) return;
    writeFileSync(this.partial, text);
    renameSync(this.partial, this.path);
    this.written = text;
  }

  remove(): void {
    rmSync(this.path, { force: true });
    rmSync(this.partial, { force: true });
  }
}
