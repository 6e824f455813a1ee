import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Cleanup } from './cleanup.ts';
import type { CloudRunFront, Source } from './cloud-run-front.ts';
import { closeWhenDraining, drainServer } from './drain.ts';
import { answerClientErrors, guarded, refuseConnect } from './guard.ts';
import { type Listener, listenerOf } from './listener.ts';
import { serverOptions } from './timeouts.ts';

/** The `pnpm start` flag that moves each public port. */
export type PortFlag = '--port' | '--participant-port' | '--trace-port';

export interface EntriesOptions {
  /** Interface for the public listeners. */
  host: string;
  lbPort: number;
  participantPort: number;
  entries: { loadBalancer: string; participant: string | undefined };
  fronts: ReadonlyMap<string, CloudRunFront>;
  progress: (line: string) => void;
}

/**
 * The ways in: the load balancer stand-in and, if the topology has one, the participant's port.
 * Stopping drains like Cloud Run: the entries stop accepting and finish what is in flight
 * (bounded) before the apps get SIGTERM — this undo is pushed after the apps', so it runs first.
 */
export async function openEntries(
  opts: EntriesOptions,
  listeners: Listener[],
  cleanup: Cleanup,
): Promise<{ loadBalancerUrl: string; participantUrl: string | undefined }> {
  const servers: Server[] = [];
  cleanup.push(async () => {
    const cut = await Promise.all(servers.map((s) => drainServer(s)));
    const total = cut.reduce((a, b) => a + b, 0);
    if (total > 0) opts.progress(`cut ${total} connections still open after the 10 s drain`);
  });
  const open = async (name: string, port: number, flag: PortFlag, service: string, source: Source) => {
    const entry = await listen(opts.host, { port, flag }, opts.fronts.get(service) as CloudRunFront, source);
    servers.push(entry.server);
    listeners.push(listenerOf(name, entry.url));
    return entry.url;
  };
  const loadBalancerUrl = await open(
    'load balancer',
    opts.lbPort,
    '--port',
    opts.entries.loadBalancer,
    'load-balancer',
  );
  const participant = opts.entries.participant;
  const participantUrl = participant
    ? await open('participant entry', opts.participantPort, '--participant-port', participant, 'participant')
    : undefined;
  return { loadBalancerUrl, participantUrl };
}

/** One public listener in front of one service's Cloud Run front. */
export async function listen(
  host: string,
  at: { port: number; flag: PortFlag },
  front: CloudRunFront,
  source: Source,
): Promise<{ server: Server; url: string }> {
  const server = createHttpServer(
    serverOptions(),
    guarded(`${source} entry`, (req: IncomingMessage, res: ServerResponse) => {
      closeWhenDraining(server, res);
      front.handle(req, res, { source });
    }),
  );
  answerClientErrors(server, `${source} entry`);
  refuseConnect(server, `${source} entry`);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(portInUse(err, at.port, at.flag, `the ${source} of ${front.service}`)),
    );
    server.listen(at.port, host, resolve);
  });
  const { port: actual } = server.address() as AddressInfo;
  return { server, url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${actual}` };
}

/** A taken port, said with the flag that moves that very port; any other error as it is. */
export function portInUse(err: NodeJS.ErrnoException, port: number, flag: PortFlag, what: string): Error {
  return err.code === 'EADDRINUSE'
    ? new Error(`port ${port} is in use: pass ${flag} <free port> (${what})`)
    : err;
}
