import { Agent, buildConnector } from 'undici';

/** Where each hostname really is: a port on 127.0.0.1, or undefined (does not resolve). */
export type PortLookup = Record<string, number> | ((hostname: string) => number | undefined);

/**
 * The test's stand-in for DNS: an undici `connect` that sends each hostname to a loopback port.
 * Unknown names fail like DNS would (ENOTFOUND). Every connect is recorded in `connects`.
 */
function mappedConnect(ports: PortLookup, tls: { ca?: string } = {}) {
  const connects: string[] = [];
  const connector = buildConnector({ timeout: 2000, ...(tls.ca ? { ca: tls.ca } : {}) });
  const connect: buildConnector.connector = (opts, callback) => {
    connects.push(opts.hostname);
    const port = typeof ports === 'function' ? ports(opts.hostname) : ports[opts.hostname];
    if (port === undefined) {
      const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${opts.hostname}`), { code: 'ENOTFOUND' });
      callback(err, null);
      return;
    }
    // TLS still checks the certificate against the real name (SNI + SAN); only the address changes.
    connector({ ...opts, hostname: '127.0.0.1', port: String(port), servername: opts.hostname }, callback);
  };
  return { connect, connects };
}

export interface MappedAgent {
  agent: Agent;
  /** Hostnames connected to, in order. */
  connects: string[];
}

/** An undici Agent that dials hostnames by `ports` (see mappedConnect). */
export function mappedAgent(ports: PortLookup, tls: { ca?: string } = {}): MappedAgent {
  const { connect, connects } = mappedConnect(ports, tls);
  return { agent: new Agent({ connect }), connects };
}
