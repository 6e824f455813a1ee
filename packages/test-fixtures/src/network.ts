import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';

/** This machine's addresses that are not loopback (IPv6 link-local ones left out: they need a scope). */
export function nonLoopbackAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && !a.internal && !a.address.startsWith('fe80:'))
    .map((a) => (a as { address: string }).address);
}

/** 'connected', or the error code of the attempt (ECONNREFUSED, …); never waits more than 2 s. */
export function connectOutcome(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/**
 * The local addresses TCP sockets listen on at `port`, from the kernel's own table (Linux
 * /proc/net/tcp and tcp6): e.g. ['127.0.0.1'] or ['0.0.0.0'] or ['::'].
 */
export function listeningAddresses(port: number): string[] {
  const found: string[] = [];
  for (const [file, v6] of [
    ['/proc/net/tcp', false],
    ['/proc/net/tcp6', true],
  ] as const) {
    let table: string;
    try {
      table = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const row of table.split('\n').slice(1)) {
      const [, local, , state] = row.trim().split(/\s+/);
      if (state !== '0A' || !local) continue; // 0A = LISTEN
      const [hex, portHex] = local.split(':') as [string, string];
      if (Number.parseInt(portHex, 16) === port) found.push(v6 ? ipv6(hex) : ipv4(hex));
    }
  }
  return found;
}

/** /proc/net/tcp writes the address as one little-endian 32-bit word. */
function ipv4(hex: string): string {
  const n = Number.parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
}

/** …and IPv6 as four such words; shown in full form, `::` for all-zero. */
function ipv6(hex: string): string {
  if (/^0+$/.test(hex)) return '::';
  const words = (hex.match(/.{8}/g) ?? []).map((w) => (w.match(/../g) ?? []).reverse().join(''));
  const groups = words.join('').match(/.{4}/g) ?? [];
  const full = groups.map((g) => g.replace(/^0+(?=.)/, '')).join(':');
  return full === '0:0:0:0:0:0:0:1'
    ? '::1'
    : full.startsWith('0:0:0:0:0:ffff:')
      ? `::ffff:${ipv4(hex.slice(24))}`
      : full;
}
