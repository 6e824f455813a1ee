import { createHash } from 'node:crypto';
import { readConfigFileSync } from '@meshapps/mesh-config';
import { writeRouteFile } from './apply.ts';

/** The route file no longer holds what the canary wrote: someone edited it during the walk. */
export class RouteEdited extends Error {
  readonly shownFile: string;
  /** What the file holds now (undefined: gone, not a regular file, or too large to read). */
  readonly holds: string | undefined;

  constructor(shownFile: string, holds: string | undefined) {
    super(`${shownFile} was changed by hand during the walk`);
    this.shownFile = shownFile;
    this.holds = holds;
  }
}

/** What a signal found and did, for the last lines the canary prints. */
export type RestoreReport =
  | { state: 'already'; holds: string }
  | { state: 'restored'; holds: string; was: string }
  | { state: 'edited'; holds: string | undefined }
  | { state: 'failed'; holds: string; error: string };

export interface RouteFileIo {
  read: (file: string) => string | undefined;
  write: (file: string, text: string) => void;
}

export const realRouteFileIo: RouteFileIo = {
  // The mesh's bounded reader: a regular file inside its folder, within the config size cap.
  read: (file) => {
    try {
      return readConfigFileSync(file).text;
    } catch {
      return undefined;
    }
  },
  write: writeRouteFile,
};

const hash = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The canary's hold on its route file while it walks. Before every write it checks, by content
 * hash, that the file still holds what the canary last wrote (or the original): if not, the file
 * was edited by hand and nothing is written — the edit stays. It also knows what to put back
 * when a signal ends the walk at once (`restoreNow`): the text before the step in force.
 */
export class RouteOwner {
  private inForce: string;
  private inForceHash: string;
  /** The text before the step in force: what a rollback or a signal puts back. */
  private previous: string;

  readonly file: string;
  readonly shownFile: string;
  private readonly io: RouteFileIo;

  constructor(file: string, shownFile: string, original: string, io: RouteFileIo = realRouteFileIo) {
    this.file = file;
    this.shownFile = shownFile;
    this.io = io;
    this.inForce = original;
    this.inForceHash = hash(original);
    this.previous = original;
  }

  /** RouteEdited if the file no longer holds what the canary last wrote (or the original). */
  check(): void {
    const holds = this.io.read(this.file);
    if (holds === undefined || hash(holds) !== this.inForceHash) throw new RouteEdited(this.shownFile, holds);
  }

  /** Writes `text` (a step, or the previous text on a rollback); RouteEdited if the file was edited. */
  write(text: string): void {
    this.check();
    // A step moves forward (what was in force becomes what to put back); a rollback writes that back.
    if (text !== this.previous) this.previous = this.inForce;
    this.io.write(this.file, text);
    this.inForce = text;
    this.inForceHash = hash(text);
  }

  /** The text a rollback puts back now. */
  get previousText(): string {
    return this.previous;
  }

  /**
   * Synchronously, for a signal: puts the previous text back if the file holds the step the canary
   * wrote; leaves a hand edit alone; and says what the file holds either way.
   */
  restoreNow(): RestoreReport {
    const holds = this.io.read(this.file);
    if (holds === undefined) return { state: 'edited', holds };
    if (holds === this.previous) return { state: 'already', holds };
    if (hash(holds) !== this.inForceHash) return { state: 'edited', holds };
    try {
      this.io.write(this.file, this.previous);
    } catch (err) {
      return { state: 'failed', holds, error: (err as Error).message };
    }
    const was = this.inForce;
    this.inForce = this.previous;
    this.inForceHash = hash(this.previous);
    return { state: 'restored', holds: this.previous, was };
  }
}
