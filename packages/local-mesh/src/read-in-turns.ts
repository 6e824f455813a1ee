import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { getDefaultHighWaterMark, type Readable, setDefaultHighWaterMark } from 'node:stream';

/**
 * The apps' output is read as Cloud Run's logging agent reads a container's: a little behind.
 * An app writes each log line with its own write(2) (pino's synchronous destination), so a reader
 * that takes every line as it comes is woken once per line: on a small machine that wake-up, not
 * the line, costs ~20 µs of the local mesh's CPU, and a request writes two lines per app it
 * crosses (docs/performance.md, finding 13). Read in turns, the pipe gathers what an app writes
 * for a few milliseconds and one read takes it all: the same lines, in order, a moment later.
 *
 * The pipe holds 64 KiB (Linux), one read takes up to 64 KiB: an app that writes more than that
 * within a turn waits for the next one, as it would behind any slower reader.
 */
const OUTPUT_TURN_MS = 10;

/** When the next turn starts: after `ms` by default; tests open it themselves. Returns a cancel. */
export type Turn = (resume: () => void) => () => void;

const everyTurn =
  (ms: number = OUTPUT_TURN_MS): Turn =>
  (resume) => {
    const timer = setTimeout(resume, ms);
    return () => clearTimeout(timer);
  };

/**
 * `spawn`, with the child's output pipes buffering at most one chunk while paused. A paused
 * stream keeps reading until its buffer reaches the high-water mark (64 KiB): a read, and a
 * wake-up, per line. With a mark of 1 byte it stops after one chunk and the kernel's pipe
 * gathers the rest. Flowing, nothing changes (chunks go straight to the listeners).
 */
export function spawnReadInTurns(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const mark = getDefaultHighWaterMark(false);
  setDefaultHighWaterMark(false, 1); // the pipes are made inside spawn(), synchronously
  try {
    return spawn(command, args, options);
  } finally {
    setDefaultHighWaterMark(false, mark);
  }
}

/** A turn that brought this much means a busy writer: read on as it comes, in large chunks anyway. */
const BUSY_TURN_BYTES = 16 * 1024;

/**
 * Reads `stream` in turns: what arrives within one turn of the event loop is passed on, then the
 * stream pauses until the next turn — unless that turn brought BUSY_TURN_BYTES or more, when the
 * writer is kept waiting by no one. Listeners ('data', readline on top of it) see the same bytes
 * in the same order, in fewer and larger chunks. Use on a stream of spawnReadInTurns.
 */
export function readInTurns(stream: Readable, turn: Turn = everyTurn()): void {
  let cancel: (() => void) | undefined;
  let checking = false;
  let bytes = 0;
  const resume = () => {
    cancel = undefined;
    stream.resume();
  };
  stream.on('data', (chunk: Buffer | string) => {
    bytes += chunk.length;
    if (checking || cancel) return;
    checking = true;
    // Whatever else is ready in this turn of the loop is read too; then the pipe gathers.
    setImmediate(() => {
      checking = false;
      const busy = bytes >= BUSY_TURN_BYTES;
      bytes = 0;
      if (busy || stream.readableEnded || stream.destroyed) return;
      stream.pause();
      cancel = turn(resume);
    });
  });
  stream.once('close', () => cancel?.());
}
