import type http from 'node:http';
import https from 'node:https';
import { makeLocalCertificate } from '@meshapps/local-ca';
import { closeHttp, listen, type SeenRequest } from './servers.ts';

/**
 * A loopback HTTPS upstream standing in for `https://<svc>.run.app`, with a fresh certificate for
 * `dnsNames` from the local mesh's own generator (`@meshapps/local-ca`: a CA of its own signs it).
 */
export interface TlsStub {
  port: number;
  /** PEM to trust (pass as `ca` to the client). */
  ca: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

export async function startTlsStub(
  dnsNames: readonly string[],
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<TlsStub> {
  const { caPem, certPem, keyPem } = await makeLocalCertificate(dnsNames);
  const seen: SeenRequest[] = [];
  const server = https.createServer({ cert: certPem, key: keyPem }, (req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  const port = await listen(server);
  return { port, ca: caPem, seen, close: () => closeHttp(server) };
}
