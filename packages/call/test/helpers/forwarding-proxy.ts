import http from 'node:http';
import { closeHttp, listen } from './servers.ts';

/**
 * A tiny HTTP forward proxy, as HTTP_PROXY points at: it takes absolute-form requests
 * (`GET http://target1.meshapps.internal/ HTTP/1.1`), looks the hostname up in `routes`
 * and forwards to that loopback port — the role the mesh sidecar plays for mesh hostnames.
 * `delayMs` holds every request before forwarding (a slow upstream).
 */
export interface ForwardingProxy {
  port: number;
  url: string;
  /** Absolute-form request targets seen, in order. */
  seen: string[];
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
  routes: Record<string, number>;
  delayMs?: number;
}): Promise<ForwardingProxy> {
  const seen: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const upstream = new http.Agent({ keepAlive: false });
  const server = http.createServer((req, res) => {
    const target = req.url ?? '';
    seen.push(target);
    if (!/^http:\/\//.test(target)) {
      res.writeHead(400).end('absolute-form request target expected');
      return;
    }
    const url = new URL(target);
    const port = opts.routes[url.hostname];
    if (port === undefined) {
      res.writeHead(502).end(`no route for ${url.hostname}`);
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
        },
      );
      out.on('error', () => res.headersSent || res.writeHead(502).end('upstream failed'));
      out.end();
    };
    if (!opts.delayMs) return forward();
    const timer = setTimeout(() => {
      timers.delete(timer);
      forward();
    }, opts.delayMs);
    timers.add(timer);
  });
  const port = await listen(server);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    seen,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      upstream.destroy();
      await closeHttp(server);
    },
  };
}
