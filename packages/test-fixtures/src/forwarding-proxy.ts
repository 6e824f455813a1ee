import http from 'node:http';
import net from 'node:net';
import { closeHttp, listen } from './servers.ts';

/**
 * A tiny HTTP forward proxy, as HTTP_PROXY and HTTPS_PROXY point at — the role the mesh sidecar
 * plays for an app. Absolute-form requests (`GET http://target1.meshapps.internal/ HTTP/1.1`) go
 * to the loopback port `routes` gives the hostname; an unknown one is answered 404 as the local
 * mesh's sidecar does. `CONNECT host:443` (https, run.app) is tunnelled to the port `tunnels`
 * gives the host. A caller that goes away closes the upstream request too, and an upstream that
 * breaks mid-answer breaks the answer, as Envoy does. `hold` keeps requests waiting until the
 * promise it returns settles (a slow upstream, for as long as the test wants).
 */
export interface ForwardingProxy {
  port: number;
  url: string;
  /** Absolute-form request targets seen, in order. */
  seen: string[];
  /** The same requests with the headers they arrived with. */
  requests: { target: string; headers: http.IncomingHttpHeaders }[];
  /** CONNECT authorities (`host:port`) asked for, in order. */
  tunnelled: string[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export async function startForwardingProxy(opts: {
  routes: Record<string, number> | ((hostname: string) => number | undefined);
  tunnels?: Record<string, number>;
  hold?: () => Promise<void> | undefined;
}): Promise<ForwardingProxy> {
  const seen: string[] = [];
  const requests: ForwardingProxy['requests'] = [];
  const tunnelled: string[] = [];
  const sockets = new Set<net.Socket>();
  const upstream = new http.Agent({ keepAlive: false });
  const route = (host: string) => (typeof opts.routes === 'function' ? opts.routes(host) : opts.routes[host]);
  const server = http.createServer((req, res) => {
    const target = req.url ?? '';
    seen.push(target);
    requests.push({ target, headers: req.headers });
    if (!/^http:\/\//.test(target)) {
      res.writeHead(400).end('absolute-form request target expected');
      return;
    }
    const url = new URL(target);
    const port = route(url.hostname);
    if (port === undefined) {
      res
        .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
        .end(`no route for host "${url.hostname}" in the mesh\n`);
      return;
    }
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
    const forward = () => {
      const out = http.request(
        {
          host: '127.0.0.1',
          port,
          method: req.method,
          path: url.pathname + url.search,
          headers,
          agent: upstream,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
          up.on('error', () => res.destroy());
          up.on('aborted', () => res.destroy());
        },
      );
      out.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end('upstream failed')));
      // Our caller went away before the answer: so does our request to the upstream.
      res.on('close', () => {
        if (!res.writableFinished) out.destroy();
      });
      out.end();
    };
    const held = opts.hold?.();
    if (held) void held.then(forward);
    else forward();
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
    const authority = req.url ?? '';
    tunnelled.push(authority);
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    const port = opts.tunnels?.[authority.replace(/:\d+$/, '')];
    if (port === undefined) {
      client.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const out = net.connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      out.pipe(client);
      client.pipe(out);
    });
    sockets.add(out);
    out.on('close', () => sockets.delete(out));
    out.on('error', () => client.destroy());
    client.on('error', () => out.destroy());
  });
  const port = await listen(server);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    seen,
    requests,
    tunnelled,
    close: async () => {
      for (const s of sockets) s.destroy();
      upstream.destroy();
      await closeHttp(server);
    },
  };
}
