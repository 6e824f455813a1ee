import type http from 'node:http';
import https from 'node:https';
import { closeHttp, listen, type SeenRequest } from './servers.ts';
import { selfSignedCert } from './tls-cert.ts';

/** A loopback HTTPS upstream standing in for `https://<svc>.run.app`, with a fresh self-signed cert. */
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
  const { cert, key } = selfSignedCert(dnsNames);
  const seen: SeenRequest[] = [];
  const server = https.createServer({ cert, key }, (req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  const port = await listen(server);
  return { port, ca: cert, seen, close: () => closeHttp(server) };
}
