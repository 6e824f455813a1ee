import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setImmediate as turnOfTheLoop } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { readInTurns, spawnReadInTurns } from '../src/read-in-turns.ts';

// Like an app's logger: one write(2) per line (pino's synchronous destination). It writes its first
// line, waits for "go" on stdin, writes 99 more, says so on stderr and stays up (a child that exits
// has its pipes drained by Node at once).
const WRITER = `
const { writeSync } = require('node:fs');
const line = (n) => writeSync(1, JSON.stringify({ severity: 'INFO', n }) + '\\n');
line(0);
process.stdin.once('data', () => {
  for (let n = 1; n < 100; n++) line(n);
  writeSync(2, 'written\\n');
});
`;
const LINES = Array.from({ length: 100 }, (_, n) => JSON.stringify({ severity: 'INFO', n }));

describe('an app output pipe read in turns', () => {
  it('passes nothing on until the next turn, then every line that waited, in order', async () => {
    const child = spawnReadInTurns(process.execPath, ['-e', WRITER], { stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      const stdout = child.stdout as NonNullable<typeof child.stdout>;
      // The first turn is a gate the test opens; later ones open at the next turn of the loop.
      let openTurn: (() => void) | undefined;
      readInTurns(stdout, (resume) => {
        if (openTurn) setImmediate(resume);
        else openTurn = resume;
        return () => {};
      });
      const chunks: string[] = [];
      stdout.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
      const lines: string[] = [];
      const all = new Promise<void>((resolve) =>
        createInterface({ input: stdout }).on('line', (line) => {
          if (lines.push(line) === 100) resolve();
        }),
      );
      await once(stdout, 'data'); // the first line, alone: the writer waits for "go"
      const written = once(child.stderr as NonNullable<typeof child.stderr>, 'data');
      child.stdin?.write('go\n');
      await written;
      // Lines 1–99 sit in the pipe. A reader still reading would pass them on within these turns.
      for (let i = 0; i < 5; i++) await turnOfTheLoop();
      expect(chunks).toHaveLength(1);

      openTurn?.();
      await all;
      expect(lines).toEqual(LINES);
      // What waited comes in a read or two (one may have begun as the turn ended), not 99.
      expect(chunks.length).toBeLessThanOrEqual(3);
    } finally {
      child.kill();
    }
  });

  it("spawns the child's output pipes so that a paused one stops reading after one chunk", () => {
    // With Node's default mark (64 KiB) a paused pipe goes on reading, a wake-up per line.
    const plain = spawn(process.execPath, ['-e', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
    const inTurns = spawnReadInTurns(process.execPath, ['-e', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      expect(inTurns.stdout?.readableHighWaterMark).toBe(1);
      expect(inTurns.stderr?.readableHighWaterMark).toBe(1);
      expect(plain.stdout?.readableHighWaterMark).toBeGreaterThan(1);
    } finally {
      plain.kill();
      inTurns.kill();
    }
  });
});
