// Preloaded into every app process by the local mesh (supervisor.ts adds `--import` of this file);
// never imported by an app, never in the image: app code does not know it runs locally.
//
// The mesh holds the other end of a pipe on this process's descriptor 3 and never writes to it.
// When the mesh is gone — stopped or not, even SIGKILLed or aborted, when none of its own code
// can run — the pipe reads end-of-file, and this instance goes with it, at once and with whatever
// it started (the whole process group, as the supervisor's own last-resort kill does). At once,
// not by SIGTERM: with nobody left to read its stdout, an app's exit-time log flush retries the
// dead pipe forever (pino/sonic-boom's flushSync on EPIPE), and the mesh's fronts are gone anyway.
// Never import this module from the mesh: it would read the mesh's own descriptor 3.
import { Socket } from 'node:net';

const LIFELINE_FD = 3; // supervisor.ts: stdio[3]

function goAway(): void {
  try {
    process.kill(-process.pid, 'SIGKILL'); // the supervisor starts each instance as a group leader
  } catch {
    process.kill(process.pid, 'SIGKILL');
  }
}

const lifeline = new Socket({ fd: LIFELINE_FD, readable: true, writable: false });
lifeline.on('data', () => {}); // nothing is ever sent; reading is what notices the end
lifeline.once('end', goAway);
lifeline.once('error', goAway);
lifeline.unref(); // never what keeps an app alive
