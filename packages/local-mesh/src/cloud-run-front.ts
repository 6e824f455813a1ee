import {
  Agent,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type ServerResponse,
} from 'node:http';
import { pipeline } from 'node:stream';
import type { ServiceSpec } from '@meshapps/mesh-config';
import type { TokenIssuer } from './identity.ts';

/** Where a request reached a service from; Cloud Run's ingress setting decides on this. */
export type Source = 'mesh' | 'load-balancer' | 'participant' | 'internet';

export interface FrontOptions {
  spec: ServiceSpec;
  /** Emails of the service accounts holding roles/run.invoker on this service. */
  invokers: ReadonlySet<string>;
  /** Accepted token audiences: the service's run.app URL (and custom audiences). */
  audiences: readonly string[];
  issuer: TokenIssuer;
  /** The app's port, once its process is listening. */
  appPort: () => number | undefined;
}

export interface Relay {
  source: Source;
  /** Headers to send instead of the inbound ones (the sidecar adds identity). */
  headers?: IncomingHttpHeaders;
  editResponseHeaders?: (headers: IncomingHttpHeaders) => void;
  /** The app's answer broke off after it had begun (the client's connection is cut too). */
  onUpstreamCut?: () => void;
}

export interface Decision {
  status: number;
  reason: string;
  caller?: string;
}

/**
 * Cloud Run's front end for one service, before the container sees a request:
 * ingress setting → ID token (signature, expiry, audience; else 401) → IAM run.invoker (else 403).
 * Only then is the request passed to the app.
 */
export class CloudRunFront {
  private readonly opts: FrontOptions;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });

  constructor(opts: FrontOptions) {
    this.opts = opts;
  }

  get service(): string {
    return this.opts.spec.name;
  }

  /** The IAM decision alone (also used by the sidecar to label its spans). */
  decide(headers: IncomingHttpHeaders, source: Source): Decision {
    const { spec } = this.opts;
    if (!ingressAllows(spec.ingress, source)) {
      return {
        status: 404,
        reason: `ingress "${spec.ingress}" of ${spec.name} does not admit ${source} traffic`,
      };
    }
    // Public entries are invokable by allUsers: the load balancer adds no token.
    if (source === 'load-balancer' && spec.entry === 'load-balancer')
      return { status: 200, reason: 'allUsers' };
    if (source === 'participant' && spec.entry === 'participant')
      return { status: 200, reason: 'participant' };

    const auth = headers.authorization;
    const token = typeof auth === 'string' && /^bearer /i.test(auth) ? auth.slice(7).trim() : undefined;
    if (!token) return { status: 401, reason: 'the request carries no bearer ID token' };
    const verified = this.opts.issuer.verify(token, this.opts.audiences);
    if (!verified.ok) return { status: 401, reason: verified.reason };
    const caller = verified.claims.email;
    if (!this.opts.invokers.has(caller)) {
      return {
        status: 403,
        reason: `serviceAccount:${caller} lacks roles/run.invoker (run.routes.invoke) on service ${spec.name}`,
        caller,
      };
    }
    return { status: 200, reason: 'invoker', caller };
  }

  /** Admits or refuses `req`, then relays it to the app. */
  handle(req: IncomingMessage, res: ServerResponse, relay: Relay): Decision {
    const headers = relay.headers ?? req.headers;
    const decision = this.decide(headers, relay.source);
    if (decision.status !== 200) {
      sendErrorPage(res, decision, req.url ?? '/');
      req.resume();
      return decision;
    }
    const tooLarge = Number(req.headers['content-length'] ?? 0) > MAX_REQUEST_BYTES;
    if (tooLarge) {
      sendErrorPage(
        res,
        { status: 413, reason: `requests are limited to ${MAX_REQUEST_BYTES} bytes` },
        req.url ?? '/',
      );
      return { status: 413, reason: 'request too large' };
    }
    const port = this.opts.appPort();
    if (port === undefined) {
      sendErrorPage(res, { status: 503, reason: `${this.service} has no running instance` }, req.url ?? '/');
      req.resume();
      return { status: 503, reason: 'no instance' };
    }
    const upstream = request(
      {
        host: '127.0.0.1',
        port,
        method: req.method,
        path: req.url,
        headers: withoutHopByHop(headers),
        agent: this.agent,
      },
      (answer) => {
        // The app's connection handling is its own; the front's client gets the front's.
        const headers = withoutHopByHop(answer.headers);
        relay.editResponseHeaders?.(headers);
        res.writeHead(answer.statusCode ?? 502, headers);
        // pipeline, not pipe: an app that dies mid-answer must cut the client's connection too,
        // or the client would wait for the rest forever.
        answer.once('error', () => {
          // Registered before pipeline's own listener: says why before the client's side closes.
          if (!res.destroyed) relay.onUpstreamCut?.();
        });
        pipeline(answer, res, () => {});
      },
    );
    upstream.on('error', () => {
      if (res.writableEnded) return;
      if (!res.headersSent)
        sendErrorPage(res, { status: 503, reason: `${this.service} did not answer` }, req.url ?? '/');
      else res.destroy();
    });
    // A caller that went away takes its request with it: the app sees the connection close, as
    // Cloud Run cancels a request whose client disconnected.
    if (res.destroyed) upstream.destroy();
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received <= MAX_REQUEST_BYTES) return;
      upstream.destroy();
      if (!res.headersSent) {
        sendErrorPage(
          res,
          { status: 413, reason: `requests are limited to ${MAX_REQUEST_BYTES} bytes` },
          req.url ?? '/',
        );
      } else res.destroy();
    });
    req.pipe(upstream);
    return decision;
  }

  close(): void {
    this.agent.destroy();
  }
}

function ingressAllows(ingress: ServiceSpec['ingress'], source: Source): boolean {
  switch (ingress) {
    case 'all':
      return true;
    case 'internal':
      return source === 'mesh';
    case 'internal-and-cloud-load-balancing':
      return source === 'mesh' || source === 'load-balancer';
  }
}

const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
];

export function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = { ...headers };
  for (const h of HOP_BY_HOP) delete out[h];
  return out;
}

/** Cloud Run's limit for an HTTP/1 request (https://cloud.google.com/run/quotas). */
export const MAX_REQUEST_BYTES = 32 * 1024 * 1024;

const TITLES: Record<number, [string, string]> = {
  401: ['401 Unauthorized', 'Error: Unauthorized'],
  403: ['403 Forbidden', 'Error: Forbidden'],
  404: ['404 Not Found', 'Error: Page not found'],
  413: ['413 Request Entity Too Large', 'Error: Request Entity Too Large'],
  503: ['503 Service Unavailable', 'Error: Service Unavailable'],
};

/** Worded like Cloud Run's own error pages, plus one line saying why (the cloud does not say). */
function sendErrorPage(res: ServerResponse, decision: Decision, url: string): void {
  const [title, heading] = TITLES[decision.status] ?? [`${decision.status}`, 'Error'];
  const path = escapeHtml(url.split('?')[0] ?? '/');
  const line =
    decision.status === 403
      ? `Your client does not have permission to get URL <code>${path}</code> from this server.`
      : decision.status === 401
        ? `Your client does not have permission to the requested URL <code>${path}</code>.`
        : decision.status === 404
          ? `The requested URL <code>${path}</code> was not found on this server.`
          : decision.status === 413
            ? 'Your client issued a request that was too large.'
            : 'The service you requested is not available yet. Please try again in 30 seconds.';
  const body = `<html><head>\n<meta http-equiv="content-type" content="text/html;charset=utf-8">\n<title>${title}</title>\n</head>\n<body text=#000000 bgcolor=#ffffff>\n<h1>${heading}</h1>\n<h2>${line}</h2>\n<h2>local mesh: ${escapeHtml(decision.reason)}</h2>\n</body></html>\n`;
  res.writeHead(decision.status, {
    'content-type': 'text/html; charset=UTF-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}
