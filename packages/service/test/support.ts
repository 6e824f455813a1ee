import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createLogger, createService } from '../src/index.ts';

/** Collects a logger's JSON lines in memory (createLogger's `destination`). */
export function logSink() {
  const lines: string[] = [];
  return {
    lines,
    entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    destination: { write: (line: string) => void lines.push(line) },
  };
}

/** A service built by createService, listening on 127.0.0.1 on a free port. */
export async function startService(
  name: string,
  routes: (app: FastifyInstance) => Promise<void> | void,
  sink = logSink(),
): Promise<{ app: FastifyInstance; url: string; sink: ReturnType<typeof logSink> }> {
  const logger = createLogger({ service: name, destination: sink.destination });
  const app = await createService({ logger, routes });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, sink };
}
