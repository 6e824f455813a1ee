/**
 * Preload for the bench's "direct" scenarios only: `node --import …/direct-dial.ts`, with
 * BENCH_DIAL="target2.meshapps.internal=41234,proxy.meshapps.internal=41235". A connection to
 * one of those hosts on port 80 goes straight to 127.0.0.1:<port> — the next app's own port, no
 * sidecar, no Cloud Run front. Everything else in the app is untouched: the same chain code, the
 * same undici agent and instrumentation, the same Host header. That is the baseline a mesh hop
 * is compared with.
 */
import net from 'node:net';

const dial = new Map<string, number>();
for (const pair of (process.env.BENCH_DIAL ?? '').split(',')) {
  const [host, port] = pair.split('=');
  if (host && port) dial.set(host.trim().toLowerCase(), Number(port));
}

const connect = net.connect;
// undici dials through `net.connect(options)` (lib/core/connect.js), looked up at call time.
net.connect = function directDial(this: unknown, ...args: unknown[]) {
  const options = args[0] as { host?: string; port?: number | string } | undefined;
  const port = typeof options === 'object' ? dial.get(String(options.host).toLowerCase()) : undefined;
  if (options && port !== undefined && Number(options.port ?? 80) === 80) {
    args[0] = { ...options, host: '127.0.0.1', port, lookup: undefined };
  }
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.connect;
