import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Cleanup } from './cleanup.ts';
import type { CloudRunFront, Source } from './cloud-run-front.ts';
import { descriptors } from './descriptor-budget.ts';
import { EntryLife } from './drain.ts';
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

/** The entries, bound; `serve()` once the mesh is ready. */
export interface Entries {
  loadBalancerUrl: string;
  participantUrl: string | undefined;
  /** Requests go to the fronts from now on; stopping drains the entries first. */
  serve: () => void;
}

/**
 * The ways in: the load balancer stand-in and, if the topology has one, the participant's port.
 * Bound before the apps start — a taken port is said at once, not after nine process start-ups —
 * they answer 503 until `serve()`. Stopping drains like Cloud Run (drain.ts): `serve()` pushes
 * that undo after the apps', so it runs before the apps get SIGTERM.
 */
export async function bindEntries(
  opts: EntriesOptions,
  listeners: Listener[],
  cleanup: Cleanup,
): Promise<Entries> {
  const lives: EntryLife[] = [];
  // A start that fails later closes them at once; after a stop's drain this finds nothing to do.
  cleanup.push(() => Promise.all(lives.map((l) => l.close())).then(() => {}));
  const open = async (name: string, port: number, flag: PortFlag, service: string, source: Source) => {
    const entry = await listen(opts.host, { port, flag }, opts.fronts.get(service) as CloudRunFront, source);
    lives.push(entry.life);
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
  const serve = () => {
    for (const life of lives) life.serve();
    cleanup.push(async () => {
      const cut = await Promise.all(lives.map((l) => l.drain()));
      const total = cut.reduce((a, b) => a + b, 0);
      if (total > 0) opts.progress(`cut ${total} connections still open after the 10 s drain`);
    });
  };
  return { loadBalancerUrl, participantUrl, serve };
}

/** One public listener in front of one service's Cloud Run front; it answers 503 until `life.serve()`. */
export async function listen(
  host: string,
  at: { port: number; flag: PortFlag },
  front: CloudRunFront,
  source: Source,
): Promise<{ server: Server; url: string; life: EntryLife }> {
  const name = `${source} entry`;
  const server = createHttpServer(
    serverOptions(),
    guarded(name, (req: IncomingMessage, res: ServerResponse) => {
      if (life.answered(req, res)) return;
      front.handle(req, res, { source });
    }),
  );
  const life = new EntryLife(server, name);
  answerClientErrors(server, name);
  refuseConnect(server, name);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(portInUse(err, at.port, at.flag, `the ${source} of ${front.service}`)),
    );
    server.listen(at.port, host, resolve);
  });
  descriptors.add(server, `${source} entry`);
  const { port: actual } = server.address() as AddressInfo;
  return { server, url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${actual}`, life };
}

/** A taken port, said with the flag that moves that very port; any other error as it is. */
export function portInUse(err: NodeJS.ErrnoException, port: number, flag: PortFlag, what: string): Error {
  return err.code === 'EADDRINUSE'
    ? new Error(`port ${port} is in use: pass ${flag} <free port> (${what})`)
    : err;
}
