// The baseline every app figure is compared with: Fastify's own hello world (as in
// fastify/benchmarks), no logger, no telemetry. Plain JavaScript on purpose: the image runs
// compiled JS too, so neither side pays for type stripping.
import Fastify from 'fastify';

const app = Fastify();
app.get('/', async () => ({ hello: 'world' }));
const port = Number(process.env.PORT ?? 8080);
await app.listen({ host: '0.0.0.0', port });
// No logger, so say it once by hand: the bench takes this line as proof the port is this process's.
console.log(`listening at http://127.0.0.1:${port}`);
