// The baseline every app figure is compared with: Fastify's own hello world (as in
// fastify/benchmarks), no logger, no telemetry. Plain JavaScript on purpose: the image runs
// compiled JS too, so neither side pays for type stripping.
import Fastify from 'fastify';

const app = Fastify();
app.get('/', async () => ({ hello: 'world' }));
// Where the bench's apps listen (LISTEN_ADDRESS, loopback); 0.0.0.0, as on Cloud Run, without it.
await app.listen({ host: process.env.LISTEN_ADDRESS ?? '0.0.0.0', port: Number(process.env.PORT ?? 8080) });
// No logger, so say it by hand: the bench takes this line as proof the port is this process's.
for (const a of app.addresses())
  console.log(`listening at http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
