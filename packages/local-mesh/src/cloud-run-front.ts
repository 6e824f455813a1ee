import {
  Agent,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type ServerResponse,
} from 'node:http';
import { Readable } from 'node:stream';
import type { ServiceSpec } from '@meshapps/mesh-config';
import { readRequestTarget } from '@meshapps/request-target';
import { descriptors } from './descriptor-budget.ts';
import { withoutHopByHop } from './hop-by-hop.ts';
import type { TokenIssuer } from './identity.ts';
import { clientGone, writeAnswer } from './write-answer.ts';

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

/** One request as the front receives it; a Buffer body can be sent again (a retry). */
export interface FrontRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Readable | Buffer;
}

/** The answer, status and headers in, body not yet read. */
export interface FrontAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable;
  /** False when Cloud Run answered itself (a refusal, no instance): route header modifiers skip it. */
  fromApp: boolean;
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
  /**
   * No cap on sockets in use to the app: with 256, 256 slow uploads held every one and the load
   * balancer answered nothing (issue 22, 5). The bound is upstream of here: each socket carries one
   * request of a client connection, and every listener's connections are capped
   * (descriptor-budget.ts). Idle ones are capped (MAX_IDLE_UPSTREAM, reserved in the budget) and
   * close after 4 s (undici's default keep-alive), not at the app's 72 s: after a burst, the
   * descriptors it took come back within seconds.
   */
  private readonly agent = new Agent({
    keepAlive: true,
    timeout: IDLE_UPSTREAM_MS,
    maxFreeSockets: MAX_IDLE_UPSTREAM,
  });
  /** The pool's idle sockets are no listener's connections: the budget keeps room for them. */
  private readonly releaseIdle = descriptors.reserve(MAX_IDLE_UPSTREAM);

  constructor(opts: FrontOptions) {
    this.opts = opts;
  }

  get service(): string {
    return this.opts.spec.name;
  }

  /** The IAM decision alone (also used by the sidecar to label its spans). */
  async decide(headers: IncomingHttpHeaders, source: Source): Promise<Decision> {
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
    const verified = await this.opts.issuer.verify(token, this.opts.audiences);
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

  /**
   * A client at this front directly (the load balancer stand-in, the participant's entry, a run.app
   * URL): admits or refuses `req`, sends it to the app and writes the answer to `res`. Mesh
   * callers come through their sidecar's hop relay instead, which calls `send` itself.
   */
  handle(req: IncomingMessage, res: ServerResponse, { source }: { source: Source }): void {
    // A failure here ends this request only, never the process (an unhandled rejection would).
    this.send(
      { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: req },
      source,
      clientGone(res),
    )
      .then(({ answer }) => answer)
      .then((a) => writeAnswer(a, res))
      .catch(() => res.destroy());
  }

  /**
   * Admits or refuses one request and, if admitted, sends it to the app. Nothing reaches a client
   * here: the caller looks at the answer's status and headers, then writes it (`writeAnswer`) or
   * drops it to try again (the hop relay's retries). `signal` abandons the attempt.
   */
  async send(
    message: FrontRequest,
    source: Source,
    signal?: AbortSignal,
  ): Promise<{ decision: Decision; answer: Promise<FrontAnswer> }> {
    const decision = await this.decide(message.headers, source);
    if (decision.status !== 200) {
      drain(message.body);
      return { decision, answer: Promise.resolve(errorPage(decision, message.url)) };
    }
    const tooLarge = { status: 413, reason: `requests are limited to ${MAX_REQUEST_BYTES} bytes` };
    if (Number(message.headers['content-length'] ?? 0) > MAX_REQUEST_BYTES) {
      // Not drained: reading 32 MiB+ only to refuse it is what the limit is there to avoid.
      return { decision: tooLarge, answer: Promise.resolve(errorPage(tooLarge, message.url)) };
    }
    const port = this.opts.appPort();
    if (port === undefined) {
      drain(message.body);
      const down = { status: 503, reason: `${this.service} has no running instance; a new one is starting` };
      return {
        decision: { status: 503, reason: 'no instance' },
        answer: Promise.resolve(errorPage(down, message.url, CLOUD_RUN_503.noInstance)),
      };
    }
    const answer = new Promise<FrontAnswer>((resolve) => {
      const upstream = request(
        {
          host: '127.0.0.1',
          port,
          method: message.method,
          path: message.url,
          headers: withoutHopByHop(message.headers),
          agent: this.agent,
          ...(signal ? { signal } : {}),
        },
        // The app's connection handling is its own; the front's client gets the front's.
        (app) =>
          resolve({
            status: app.statusCode ?? 502,
            headers: withoutHopByHop(app.headers),
            body: app,
            fromApp: true,
          }),
      );
      // Before the answer: Cloud Run's 503 (after it, the body stream fails and the client is cut).
      upstream.on('error', (err: NodeJS.ErrnoException) => {
        descriptors.failed(err, `Cloud Run front of ${this.service}`);
        resolve(
          errorPage(
            { status: 503, reason: `${this.service} did not answer` },
            message.url,
            CLOUD_RUN_503.connectionError,
          ),
        );
      });
      if (Buffer.isBuffer(message.body)) return void upstream.end(message.body);
      // HTTP/1.1 without content-length or transfer-encoding has no body (RFC 9112 §6.3): send
      // the request now instead of piping an empty stream (most mesh calls are such GETs).
      if (
        message.headers['content-length'] === undefined &&
        message.headers['transfer-encoding'] === undefined
      ) {
        message.body.resume();
        return void upstream.end();
      }
      // A body without (or beyond) its content-length is counted as it streams: past the limit the
      // app's request is cut and the client gets 413 (if its answer has not begun).
      let received = 0;
      message.body.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received <= MAX_REQUEST_BYTES) return;
        resolve(errorPage(tooLarge, message.url));
        upstream.destroy();
      });
      // A body that breaks off (its client went away mid-upload) ends the app's request too; the
      // error is this request's alone: unheard, a stream's 'error' would end the whole process.
      message.body.once('error', () => upstream.destroy());
      message.body.pipe(upstream);
    });
    return { decision, answer };
  }

  close(): void {
    this.agent.destroy();
    this.releaseIdle();
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

/** How long a socket to an app waits in the front's pool for its next request. */
export const IDLE_UPSTREAM_MS = 4000;

/**
 * Idle sockets a front keeps to its app between requests (Node's default is 256 per app, which no
 * budget counted: nine apps could hold 2,304 descriptors for 4 s after a burst). 16 is twice the
 * bench's 8 concurrent connections and above what 1,000 req/s keeps in flight at a few ms a
 * request, so steady load reuses every socket as before; only a burst's surplus closes as it
 * comes free instead of 4 s later. Nine fronts set 144 descriptors aside (descriptor-budget.ts).
 */
export const MAX_IDLE_UPSTREAM = 16;

/** Cloud Run's limit for an HTTP/1 request (https://cloud.google.com/run/quotas). */
export const MAX_REQUEST_BYTES = 32 * 1024 * 1024;

/** A request body nobody will read: let it flow so the connection stays usable. */
function drain(body: Readable | Buffer): void {
  if (!Buffer.isBuffer(body)) body.resume();
}

const TITLES: Record<number, [string, string]> = {
  401: ['401 Unauthorized', 'Error: Unauthorized'],
  403: ['403 Forbidden', 'Error: Forbidden'],
  404: ['404 Not Found', 'Error: Page not found'],
  413: ['413 Request Entity Too Large', 'Error: Request Entity Too Large'],
  503: ['503 Service Unavailable', 'Error: Service Unavailable'],
};

/**
 * What Cloud Run says (in the request log of the 503) when it has no instance to give a request,
 * and when the connection to the instance fails mid-request (e.g. the container was killed).
 */
export const CLOUD_RUN_503 = {
  noInstance: 'The request was aborted because there was no available instance.',
  connectionError:
    'The request failed because either the HTTP response was malformed or connection to the instance had an error.',
};

/** Worded like Cloud Run's own error pages, plus one line saying why (the cloud does not say). */
function errorPage(decision: Pick<Decision, 'status' | 'reason'>, url: string, detail?: string): FrontAnswer {
  const [title, heading] = TITLES[decision.status] ?? [`${decision.status}`, 'Error'];
  const path = escapeHtml(readRequestTarget(url)?.path ?? '/');
  const line =
    detail ??
    (decision.status === 403
      ? `Your client does not have permission to get URL <code>${path}</code> from this server.`
      : decision.status === 401
        ? `Your client does not have permission to the requested URL <code>${path}</code>.`
        : decision.status === 404
          ? `The requested URL <code>${path}</code> was not found on this server.`
          : decision.status === 413
            ? 'Your client issued a request that was too large.'
            : 'The service you requested is not available yet. Please try again in 30 seconds.');
  const body = Buffer.from(
    `<html><head>\n<meta http-equiv="content-type" content="text/html;charset=utf-8">\n<title>${title}</title>\n</head>\n<body text=#000000 bgcolor=#ffffff>\n<h1>${heading}</h1>\n<h2>${line}</h2>\n<h2>local mesh: ${escapeHtml(decision.reason)}</h2>\n</body></html>\n`,
  );
  const headers: IncomingHttpHeaders = {
    'content-type': 'text/html; charset=UTF-8',
    'content-length': String(body.length),
  };
  // The rest of an oversized body is never read: the connection ends with the answer.
  if (decision.status === 413) headers.connection = 'close';
  return {
    status: decision.status,
    headers,
    body: Readable.from([body]),
    fromApp: false,
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}
