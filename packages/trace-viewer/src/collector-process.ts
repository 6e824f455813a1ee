// The trace collector's own process (started by collector.ts): the viewer's server and store live
// here, so decoding a big OTLP body never holds up the local mesh's event loop.
import { startTraceViewer, type TraceViewerOptions } from './server.ts';
import type { SpanRecord } from './span-record.ts';

export type ToCollector = { type: 'spans'; spans: SpanRecord[] };
export type FromCollector =
  | { type: 'ready'; url: string; otlpEndpoint: string }
  | { type: 'failed'; code?: string | undefined; message: string };

const send = (message: FromCollector) => process.send?.(message);
const options = JSON.parse(process.argv[2] ?? '{}') as TraceViewerOptions;

try {
  const viewer = await startTraceViewer(options);
  // Spans recorded in the mesh's process (the sidecars') arrive as IPC messages.
  process.on('message', (message: ToCollector) => {
    if (message?.type === 'spans' && Array.isArray(message.spans)) viewer.store.add(message.spans);
  });
  // The mesh went away (even without stopping us): so do we.
  process.on('disconnect', () => void viewer.close().then(() => process.exit(0)));
  process.on('SIGTERM', () => void viewer.close().then(() => process.exit(0)));
  process.on('SIGINT', () => {}); // Ctrl-C reaches the whole group; the mesh decides when we stop.
  send({ type: 'ready', url: viewer.url, otlpEndpoint: viewer.otlpEndpoint });
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  // Exit once the message is out, so the mesh can say why (e.g. the port is taken).
  process.send?.({ type: 'failed', code: e.code, message: e.message } satisfies FromCollector, () =>
    process.exit(1),
  );
}
