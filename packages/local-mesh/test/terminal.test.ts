import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, type Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { terminal } from '../src/terminal.ts';

const TERMINAL = join(import.meta.dirname, '..', 'src', 'terminal.ts');

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c) => {
    text += c;
  });
  return { stream, text: () => text };
}

/** Writes until the stream has failed (or gives up); the writes must never throw. */
async function writeUntilClosed(out: Writable, line: (text: string) => void, isOpen: () => boolean) {
  for (let i = 0; i < 200 && isOpen(); i++) {
    line(`line ${i}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  expect(out.destroyed || !isOpen()).toBe(true);
}

describe('stdout that fails never ends the mesh (issue 22, item 4)', () => {
  it('a pipe whose reader is gone (`| head -1`: EPIPE): writing stops, stderr says so once, the process lives on', async () => {
    // The real thing: a process's own stdout into `head -1`, which exits after the first line.
    const script = `
      import { terminal } from ${JSON.stringify(TERMINAL)};
      const t = terminal();
      for (let i = 0; i < 200; i++) {
        t.line('line ' + i);
        await new Promise((r) => setTimeout(r, 5));
      }
      t.error('still here, stdout open: ' + t.open);
    `;
    const child = spawn(
      'sh',
      ['-c', `"$0" --input-type=module -e "$1" | head -1`, process.execPath, script],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      err += c;
    });
    const code = await new Promise((r) => child.once('close', r));
    expect(code).toBe(0);
    expect(out).toBe('line 0\n');
    expect(err.trim().split('\n')).toEqual([
      'local-mesh: stdout failed (EPIPE); no more log lines there — the mesh keeps serving (Ctrl-C or SIGTERM stops it)',
      'still here, stdout open: false',
    ]);
  });

  it('a full disk (/dev/full: ENOSPC): the same, saying the disk is full', async () => {
    const out = createWriteStream('/dev/full');
    const err = collect();
    const t = terminal(out, err.stream);
    await writeUntilClosed(out, t.line, () => t.open);
    expect(err.text()).toBe(
      'local-mesh: stdout failed (ENOSPC: no space left on the disk it writes to); no more log lines there — the mesh keeps serving (Ctrl-C or SIGTERM stops it)\n',
    );
  });

  it('a broken stderr too: nothing thrown', async () => {
    const out = createWriteStream('/dev/full');
    const err = createWriteStream('/dev/full');
    const t = terminal(out, err);
    await writeUntilClosed(out, t.line, () => t.open);
    t.error('said into the void');
    // The write to stderr has failed and the stream is gone (the positive marker; it may have
    // closed already, on the 'stdout failed' line): an 'error' nobody heard would have failed
    // the run by now.
    if (!err.closed) await once(err, 'close');
    expect(err.errored).toMatchObject({ code: 'ENOSPC' });
    expect(t.open).toBe(false);
  });
});
