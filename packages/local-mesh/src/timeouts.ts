import type { Server, ServerOptions } from 'node:http';

/**
 * How long every listener of the local mesh waits on a client — the same for a direct socket
 * and for one inside a CONNECT tunnel. The values are Node's defaults, written down, except the
 * TLS handshake: 10 s, not 120 s. A handshake on loopback takes milliseconds; at 120 s, tunnels
 * opened and dropped at ~170 per second held every descriptor of the process (issue 22, 3).
 */
export interface ListenerTimeouts {
  /** Until the request's headers are complete (slow headers answer 408). */
  headersMs: number;
  /** Until the whole request (headers and body) has arrived. */
  requestMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: number;
  /** How often Node checks the two above. */
  checkEveryMs: number;
  /**
   * A CONNECT tunnel until its client's first byte, and then a run.app TLS handshake (Node's
   * default is 120 s, and its timer starts only with the handshake; tunnel.ts).
   */
  tlsHandshakeMs: number;
}

export const LISTENER_TIMEOUTS: ListenerTimeouts = {
  headersMs: 60_000,
  requestMs: 300_000,
  keepAliveMs: 5_000,
  checkEveryMs: 30_000,
  tlsHandshakeMs: 10_000,
};

export function serverOptions(t: ListenerTimeouts = LISTENER_TIMEOUTS): ServerOptions {
  return {
    headersTimeout: t.headersMs,
    requestTimeout: t.requestMs,
    keepAliveTimeout: t.keepAliveMs,
    connectionsCheckingInterval: t.checkEveryMs,
  };
}

/**
 * A server that never listens but is handed sockets (the far end of a CONNECT tunnel): Node
 * starts its header and request timers only when a server starts listening, so start them here —
 * without this a tunnelled socket could trickle headers forever.
 */
export function timeTunnelledConnections(server: Server): void {
  server.emit('listening');
}
