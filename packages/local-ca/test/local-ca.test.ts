import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { makeLocalCertificate } from '../src/index.ts';

/** The TLS handshake's verdict for `servername` against a server holding `cert`, trusting only `ca`. */
async function handshake(cert: { certPem: string; keyPem: string }, ca: string, servername: string) {
  const server = createServer({ cert: cert.certPem, key: cert.keyPem }, (s) => s.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, servername, ca }, () => {
        socket.destroy();
        resolve('trusted');
      });
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
  } finally {
    server.close();
  }
}

describe('a local CA and a certificate it signs', () => {
  it('is trusted by a client that trusts the CA, for the names it was made for and no other', async () => {
    const made = await makeLocalCertificate(['*.asia-northeast1.run.app', 'target1.example']);
    const leaf = new X509Certificate(made.certPem);
    expect(leaf.verify(new X509Certificate(made.caPem).publicKey)).toBe(true);
    expect(leaf.subjectAltName).toBe('DNS:*.asia-northeast1.run.app, DNS:target1.example');
    expect(await handshake(made, made.caPem, 'svc-1.asia-northeast1.run.app')).toBe('trusted');
    expect(await handshake(made, made.caPem, 'target1.example')).toBe('trusted');
    expect(await handshake(made, made.caPem, 'other.example')).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    // Another call's CA (same name, its own key) is not: each call makes a CA of its own.
    const other = await makeLocalCertificate(['target1.example']);
    expect(await handshake(made, other.caPem, 'target1.example')).toBe('CERT_SIGNATURE_FAILURE');
  });

  it('refuses to make a certificate for no name', async () => {
    await expect(makeLocalCertificate([])).rejects.toThrow(/at least one DNS name/);
  });
});
