// The floor of a hop in Node on this machine: an HTTP proxy of a dozen lines, no routing, no
// token, no spans, no budgets. An absolute-form GET (what an app sends through HTTP_PROXY) goes to
// BENCH_UPSTREAM on loopback over a keep-alive agent, and its answer is piped back. What the mesh's
// sidecar and front cost above this is their own. Plain JavaScript, like bare-fastify.js.
import http from 'node:http';

const upstream = Number(process.env.BENCH_UPSTREAM);
const agent = new http.Agent({ keepAlive: true });
const server = http.createServer((req, res) => {
  // Origin-form: the bench asking whether this process is up.
  if (req.url?.startsWith('/')) return void res.end('bare proxy');
  const target = new URL(req.url ?? '');
  const headers = { ...req.headers, host: target.host };
  const options = {
    host: '127.0.0.1',
    port: upstream,
    path: target.pathname + target.search,
    headers,
    agent,
  };
  const sent = http.request({ ...options, method: req.method }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  sent.on('error', () => {
    res.writeHead(502);
    res.end();
  });
  req.pipe(sent);
});
server.listen(Number(process.env.PORT), process.env.LISTEN_ADDRESS ?? '127.0.0.1', () =>
  console.log(`listening at http://${process.env.LISTEN_ADDRESS ?? '127.0.0.1'}:${process.env.PORT}`),
);
