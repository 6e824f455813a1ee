// The baseline every app figure is compared with: Fastify's own hello world (as in
// fastify/benchmarks), no logger, no telemetry. Plain JavaScript on purpose: the image runs
// compiled JS too, so neither side pays for type stripping.
import Fastify from 'fastify';

const app = Fastify();
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ host: '0.0.0.0', port: Number(process.env.PORT ?? 8080) });
