import type { Server } from 'node:http';
import { createServer } from 'node:https';
import type { CloudRunFront } from './cloud-run-front.ts';
import { answerClientErrors, guarded, refuseConnect, sendJsonError } from './guard.ts';
import type { RunAppTls } from './run-app-tls.ts';
import {
  LISTENER_TIMEOUTS,
  type ListenerTimeouts,
  serverOptions,
  timeTunnelledConnections,
} from './timeouts.ts';

/**
 * https://<service>-<number>.<region>.run.app: one TLS server for every service's front, reached
 * only through the egress proxies' CONNECT tunnels (it never listens on a port of its own).
 */
export function createRunAppServer(
  tls: Pick<RunAppTls, 'certPem' | 'keyPem'>,
  frontsByHost: ReadonlyMap<string, CloudRunFront>,
  timeouts: ListenerTimeouts = LISTENER_TIMEOUTS,
): Server {
  const server = createServer(
    // Node's TLS handshake timeout is 120 s; this one is the listeners' (timeouts.ts).
    {
      cert: tls.certPem,
      key: tls.keyPem,
      handshakeTimeout: timeouts.tlsHandshakeMs,
      ...serverOptions(timeouts),
    },
    guarded('run.app front', (req, res) => {
      const front = frontsByHost.get((req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase());
      if (!front) return sendJsonError(res, 404, 'no such run.app service');
      front.handle(req, res, { source: 'internet' });
    }),
  );
  answerClientErrors(server, 'run.app front');
  refuseConnect(server, 'run.app front');
  timeTunnelledConnections(server);
  return server;
}
