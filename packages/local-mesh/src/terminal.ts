import type { Writable } from 'node:stream';

export interface Terminal {
  /** One line on stdout, or nothing once stdout has failed. */
  line: (text: string) => void;
  /** One line on stderr (never fails: a broken stderr is dropped). */
  error: (text: string) => void;
  /** False once a write to stdout failed. */
  readonly open: boolean;
}

/**
 * Where `pnpm start` prints. A failing stdout — a closed pipe (`pnpm start | head -1`: EPIPE), a
 * full disk (`> log` on a full disk: ENOSPC) — is not a failing mesh: it stops writing there,
 * says so once on stderr if it can, and keeps serving. Without an 'error' listener Node would
 * end the process on the first failed write.
 */
export function terminal(out: Writable = process.stdout, err: Writable = process.stderr): Terminal {
  let open = true;
  let errOpen = true;
  err.on('error', () => {
    errOpen = false;
  });
  const error = (text: string) => {
    if (errOpen) err.write(`${text}\n`);
  };
  out.on('error', (e: NodeJS.ErrnoException) => {
    if (!open) return;
    open = false;
    error(
      `local-mesh: stdout failed (${e.code ?? e.message}${e.code === 'ENOSPC' ? ': no space left on the disk it writes to' : ''}); no more log lines there — the mesh keeps serving (Ctrl-C or SIGTERM stops it)`,
    );
  });
  return {
    line: (text) => {
      if (open) out.write(`${text}\n`);
    },
    error,
    get open() {
      return open;
    },
  };
}
