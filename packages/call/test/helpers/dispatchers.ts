import { Agent, buildConnector, type Dispatcher } from 'undici';

/**
 * The test's stand-in for DNS: an undici Agent whose `connect` sends each hostname to a loopback
 * port. Unknown names fail like DNS would (ENOTFOUND). Every connect is recorded.
 */
export interface MappedAgent {
  agent: Agent;
  /** Hostnames connected to, in order. */
  connects: string[];
}

export function mappedAgent(ports: Record<string, number>, tls: { ca?: string } = {}): MappedAgent {
  const connects: string[] = [];
  const connector = buildConnector({ timeout: 2000, ...(tls.ca ? { ca: tls.ca } : {}) });
  const agent = new Agent({
    connect: (opts, callback) => {
      connects.push(opts.hostname);
      const port = ports[opts.hostname];
      if (port === undefined) {
        const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${opts.hostname}`), { code: 'ENOTFOUND' });
        callback(err, null);
        return;
      }
      // TLS still checks the certificate against the real name (SNI + SAN), only the address changes.
      connector({ ...opts, hostname: '127.0.0.1', port: String(port), servername: opts.hostname }, callback);
    },
  });
  return { agent, connects };
}

/** Wraps a dispatcher and records every request handed to it (`origin + path`), before any connect. */
export function recording(inner: Dispatcher): { dispatcher: Dispatcher; dispatched: string[] } {
  const dispatched: string[] = [];
  const dispatcher = inner.compose((dispatch) => (opts, handler) => {
    dispatched.push(`${String(opts.origin ?? '')}${opts.path}`);
    return dispatch(opts, handler);
  });
  return { dispatcher, dispatched };
}
