// Load as the clients of issue 22 (item 8) sent it: a new TCP connection for every request, at a
// fixed rate (not waiting for answers), on loopback only, for a bounded number of requests. Run as its own process (see
// `spawnConnectionPerRequest`) so a busy event loop under test cannot slow the load down.
import { spawn } from 'node:child_process';
import { request } from 'node:http';

export interface PerConnectionOutcome {
  sent: number;
  /** Answers by status code. */
  statuses: Record<string, number>;
  /** ECONNREFUSED: the listener was closed — never accepted, nothing sent. */
  refused: number;
  /** ECONNRESET / EPIPE: accepted by the kernel, then reset — what must never happen. */
  reset: number;
  /** Anything else, by code. */
  other: Record<string, number>;
}

export async function connectionPerRequest(
  url: string,
  rps: number,
  durationMs: number,
): Promise<PerConnectionOutcome> {
  const target = new URL(url);
  if (!/^127\.\d+\.\d+\.\d+$/.test(target.hostname)) throw new Error(`loopback only, not ${target.hostname}`);
  const out: PerConnectionOutcome = { sent: 0, statuses: {}, refused: 0, reset: 0, other: {} };
  const total = Math.round((rps * durationMs) / 1000);
  const pending: Promise<void>[] = [];
  // Each request a fixed interval after the one before, never in a burst to catch up: a process
  // held by a busy machine's scheduler sends late, not all at once (the run lasts longer instead).
  let due = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    due = Math.max(due, performance.now() - 1000 / rps) + 1000 / rps;
    out.sent++;
    pending.push(
      new Promise<void>((resolve) => {
        // agent: false — a connection of its own, closed after the answer.
        const req = request(url, { agent: false, headers: { connection: 'close' } }, (res) => {
          res.resume();
          res.once('end', () => {
            const key = String(res.statusCode);
            out.statuses[key] = (out.statuses[key] ?? 0) + 1;
            resolve();
          });
          res.once('error', () => {
            out.reset++;
            resolve();
          });
        });
        req.once('error', (err: NodeJS.ErrnoException) => {
          if (err.code === 'ECONNREFUSED') out.refused++;
          else if (err.code === 'ECONNRESET' || err.code === 'EPIPE') out.reset++;
          else out.other[err.code ?? err.message] = (out.other[err.code ?? err.message] ?? 0) + 1;
          resolve();
        });
        req.end();
      }),
    );
  }
  await Promise.all(pending);
  return out;
}

/**
 * The same, in a process of its own: `sending` settles when its first request goes out (a
 * process starts slowly on a busy machine), `outcome` when the last one is answered.
 */
export function spawnConnectionPerRequest(
  url: string,
  rps: number,
  durationMs: number,
): { sending: Promise<void>; outcome: Promise<PerConnectionOutcome> } {
  const child = spawn(process.execPath, [import.meta.filename, url, String(rps), String(durationMs)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => {
    out += c;
  });
  const sending = new Promise<void>((resolve) => {
    child.stderr.on('data', (c) => {
      err += c;
      if (err.includes('sending\n')) resolve();
    });
  });
  const outcome = new Promise<PerConnectionOutcome>((resolve, reject) =>
    child.once('close', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load generator exited ${code}: ${err}`)),
    ),
  );
  return { sending, outcome };
}

if (process.argv[1] === import.meta.filename) {
  const [url, rps, ms] = process.argv.slice(2);
  process.stderr.write('sending\n');
  const outcome = await connectionPerRequest(url as string, Number(rps), Number(ms));
  process.stdout.write(JSON.stringify(outcome));
}
