import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ServiceSpec } from '@meshapps/mesh-config';
import { type RequestTarget, readRequestTarget } from '@meshapps/request-target';
import type { SpanRecord } from '@meshapps/trace-viewer';
import { closeServer } from './close-server.ts';
import { runAppHost } from './cloud-names.ts';
import type { CloudRunFront } from './cloud-run-front.ts';
import { type DescriptorBudget, descriptors } from './descriptor-budget.ts';
import { answerClientErrors, guarded, refuseConnect } from './guard.ts';
import { withoutHopByHop } from './hop-by-hop.ts';
import { realTime, relayHop, type Schedule } from './hop-relay.ts';
import type { TokenIssuer } from './identity.ts';
import type { RouteResolver } from './live-router.ts';
import { formatFlags } from './resilience.ts';
import { type RetryBuffers, retryBuffers } from './retry-buffers.ts';
import { applyHeaderModifiers } from './router.ts';
import { startHopSpans } from './sidecar-spans.ts';
import {
  LISTENER_TIMEOUTS,
  type ListenerTimeouts,
  serverOptions,
  timeTunnelledConnections,
} from './timeouts.ts';
import { handOver } from './tunnel.ts';

export interface HopEvent {
  caller: string;
  host: string;
  route?: string;
  service?: string;
  status: number;
  ms: number;
  /**
   * Envoy's %RESPONSE_FLAGS% when any apply: UT, URX, FI, DI from the route's policy; DC when the
   * caller went away before the answer, UC when the app broke off its answer.
   */
  flags?: string;
  /** Attempts, when a retry policy made more than one. */
  attempts?: number;
  /** Why a retry policy did not apply to this request (its body was streamed, not kept). */
  notRetried?: string;
}

export interface SidecarOptions {
  caller: ServiceSpec;
  callerEmail: string;
  meshDomain: string;
  /** Read once per request: a live route change never alters a request already routed. */
  router: RouteResolver;
  /** Every service's Cloud Run front, by service name. */
  fronts: ReadonlyMap<string, CloudRunFront>;
  /** The TLS server answering the emulated https://*.run.app URLs. */
  runApp: { server: Server; hosts: ReadonlySet<string> };
  issuer: TokenIssuer;
  onHop?: (event: HopEvent) => void;
  /** Where the sidecar's own spans go (the local trace viewer). */
  recordSpans?: (spans: SpanRecord[]) => void;
  /** Retry back-off jitter (route fault dice are the Router's). */
  random?: () => number;
  /** Timers for route timeouts, retries and injected delays (tests compress time). */
  schedule?: Schedule;
  /** The same for direct and tunnelled sockets (default: LISTENER_TIMEOUTS). */
  timeouts?: ListenerTimeouts;
  /** Caps this listener's connections (default: the process's own budget). */
  descriptors?: DescriptorBudget;
  /** Where retry bodies are kept (default: the process's own budget). */
  retryBuffers?: RetryBuffers;
}

/**
 * One service's egress, standing in for CSM's sidecar. Apps reach it through the standard
 * proxy variables (HTTP_PROXY / HTTPS_PROXY): `http://*.<mesh domain>` is routed by the
 * HTTPRoute table and sent with the caller's ID token; `https://*.run.app` is tunnelled
 * (CONNECT) to the emulated Cloud Run URLs; everything else is refused.
 */
export async function startSidecar(
  opts: SidecarOptions,
): Promise<{ port: number; close: () => Promise<void> }> {
  const tokens = new TokenCache(opts.issuer, opts.callerEmail);
  const timeouts = opts.timeouts ?? LISTENER_TIMEOUTS;
  const routeMeshRequest = (
    req: IncomingMessage,
    res: ServerResponse,
    host: string,
    target: RequestTarget | undefined,
  ) => routeMesh(req, res, host, target, opts, tokens);

  // Requests arriving inside a CONNECT tunnel to a mesh host (e.g. Node's built-in fetch with
  // NODE_USE_ENV_PROXY) are usually origin-form: routed by Host, unless the target is absolute.
  const tunnelled = createServer(
    serverOptions(timeouts),
    guarded(`egress proxy of ${opts.caller.name} (tunnel)`, (req, res) => {
      const target = readRequestTarget(req.url);
      return routeMeshRequest(req, res, target?.absolute?.host ?? req.headers.host ?? '', target);
    }),
  );

  answerClientErrors(tunnelled, `egress proxy of ${opts.caller.name} (tunnel)`);
  refuseConnect(tunnelled, `egress proxy of ${opts.caller.name} (tunnel)`);
  timeTunnelledConnections(tunnelled);

  const server = createServer(
    serverOptions(timeouts),
    guarded(`egress proxy of ${opts.caller.name}`, (req, res) => {
      const target = readRequestTarget(req.url);
      if (target?.absolute?.scheme !== 'http') {
        return plain(
          res,
          400,
          `this is the egress proxy of ${opts.caller.name}: send absolute-form proxy requests (http://host/path)\n`,
        );
      }
      return routeMeshRequest(req, res, target.absolute.host, target);
    }),
  );
  const tunnels = new Set<Socket>();
  server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    // A client may reset a refused tunnel before our answer is written: that must not crash the mesh.
    socket.on('error', () => socket.destroy());
    tunnels.add(socket);
    socket.once('close', () => tunnels.delete(socket));
    try {
      const [host = '', port = ''] = (req.url ?? '').split(':');
      // The tunnelled socket gets the same header, request and idle timeouts as a direct one, and
      // until its first byte ends on FIN or after the TLS handshake timeout (tunnel.ts).
      const to = (next: Server) => handOver(socket, head, next, timeouts.tlsHandshakeMs);
      if (port === '443' && opts.runApp.hosts.has(host)) return to(opts.runApp.server);
      if (port === '80' && host.endsWith(`.${opts.meshDomain}`)) return to(tunnelled);
      socket.end(
        `HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n\r\negress to ${host}:${port} is not allowed from the local mesh\n`,
      );
    } catch {
      socket.destroy();
    }
  });
  answerClientErrors(server, `egress proxy of ${opts.caller.name}`);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (opts.descriptors ?? descriptors).add(server, `egress proxy of ${opts.caller.name}`);
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: async () => {
      // Tunnels left the HTTP server's hands but still hold its close() open.
      for (const socket of tunnels) socket.destroy();
      await closeServer(server);
      tunnelled.closeAllConnections();
    },
  };
}

async function routeMesh(
  req: IncomingMessage,
  res: ServerResponse,
  host: string,
  target: RequestTarget | undefined,
  opts: SidecarOptions,
  tokens: TokenCache,
): Promise<void> {
  const started = performance.now();
  const hostname = host.replace(/:\d+$/, '').toLowerCase();
  const report = (status: number, extra: Partial<HopEvent> = {}) =>
    opts.onHop?.({
      caller: opts.caller.name,
      host: hostname,
      status,
      ms: performance.now() - started,
      ...extra,
    });

  if (!hostname.endsWith(`.${opts.meshDomain}`)) {
    report(403);
    return plain(
      res,
      403,
      `egress to "${hostname}" is outside the mesh: only *.${opts.meshDomain} is routed\n`,
    );
  }
  if (!opts.caller.mesh) {
    report(503);
    return plain(
      res,
      503,
      `${opts.caller.name} is not in the mesh (topology: mesh: false), so ${hostname} does not resolve\n`,
    );
  }
  // Inside a tunnel, origin-form (or http absolute-form); the direct listener checked its own.
  if (!target || (target.absolute && target.absolute.scheme !== 'http')) {
    report(400);
    return plain(res, 400, 'the request target is not a path (/path?query)\n');
  }
  const result = opts.router.resolve(hostname, {
    path: target.path,
    headers: req.headers,
    query: target.query,
  });
  if (!result.ok) {
    // No route (404), or a rule that answers itself: directResponse, redirect, fault abort.
    const { status, headers, body, route, flags } = result;
    report(status, { ...(route ? { route } : {}), ...(flags ? { flags } : {}) });
    res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  const { decision } = result;
  const front = opts.fronts.get(decision.service);
  if (!front) {
    report(503, { route: decision.route, service: decision.service });
    return plain(res, 503, `backend service ${decision.service} has no Cloud Run service\n`);
  }
  const headers = withoutHopByHop(req.headers);
  headers.host = hostname;
  // As CSM does on Cloud Run: the sidecar, not the app, presents the caller's identity. An app
  // that set its own Authorization loses it here; whether Cloud Run's sidecar keeps it is
  // unverified (cloud-run-mesh.md §8), so the hop's spans say it happened.
  const appAuthorization = req.headers.authorization !== undefined;
  headers.authorization = `Bearer ${await tokens.get(`https://${runAppHost(decision.service)}`)}`;
  applyHeaderModifiers(headers, decision.requestHeaders);
  const spans = startHopSpans(
    req.headers.traceparent,
    { caller: opts.caller.name, host: hostname, destination: decision.service },
    opts.recordSpans ?? (() => {}),
  );
  if (spans.traceparent) headers.traceparent = spans.traceparent;
  // Timeout, retries and faults (Envoy semantics) live in hop-relay.ts; without them it streams.
  let upstreamCut = false;
  const hop = relayHop(req, res, decision.policy, {
    front,
    // What the app receives: an origin-form target as sent; an absolute one as its path and query.
    url: target.absolute ? pathAndQuery(target) : (req.url ?? '/'),
    headers,
    editResponseHeaders: (h) => applyHeaderModifiers(h, decision.responseHeaders),
    onUpstreamCut: () => {
      upstreamCut = true;
    },
    random: opts.random ?? Math.random,
    schedule: opts.schedule ?? realTime,
    retryBuffers: opts.retryBuffers ?? retryBuffers,
  });
  res.on('close', () => {
    // A caller that gives up (its deadline passed) still leaves a log line and a span, as in
    // Envoy: DC; an app that breaks off its answer: UC.
    const abandoned = !res.writableFinished;
    const status = abandoned && !upstreamCut ? 499 : res.statusCode;
    const flags = formatFlags(abandoned ? [...hop.flags, upstreamCut ? 'UC' : 'DC'] : hop.flags);
    report(status, {
      route: decision.route,
      service: decision.service,
      ...(flags ? { flags } : {}),
      ...(hop.attempts > 1 ? { attempts: hop.attempts } : {}),
      ...(hop.notRetried ? { notRetried: hop.notRetried } : {}),
    });
    spans.end(status, {
      'meshapps.route': decision.route,
      'meshapps.iam': hop.iam,
      ...(flags ? { 'meshapps.response_flags': flags } : {}),
      ...(hop.attempts > 1 ? { 'meshapps.attempts': hop.attempts } : {}),
      ...(hop.notRetried ? { 'meshapps.not_retried': hop.notRetried } : {}),
      ...(appAuthorization ? { 'meshapps.app_authorization': APP_AUTHORIZATION_REPLACED } : {}),
    });
  });
}

const APP_AUTHORIZATION_REPLACED =
  "replaced by the sidecar's ID token (whether Cloud Run's mesh keeps an app-set header is unverified)";

/** Mints the caller's token per audience once and reuses it until 5 minutes before expiry. */
class TokenCache {
  private readonly cache = new Map<string, { token: Promise<string>; refreshAt: number }>();
  private readonly issuer: TokenIssuer;
  private readonly email: string;

  constructor(issuer: TokenIssuer, email: string) {
    this.issuer = issuer;
    this.email = email;
  }

  /** Concurrent first calls for one audience share one signing (the promise is what is cached). */
  get(audience: string): Promise<string> {
    const hit = this.cache.get(audience);
    if (hit && hit.refreshAt > Date.now()) return hit.token;
    const token = this.issuer.issue(this.email, audience);
    token.catch(() => this.cache.delete(audience)); // sign again next time
    // Like google-auth-library: renew 5 minutes before expiry (or halfway, for short lifetimes).
    const lifetimeMs = this.issuer.lifetimeSeconds * 1000;
    this.cache.set(audience, {
      token,
      refreshAt: Date.now() + Math.max(lifetimeMs - 300_000, lifetimeMs / 2),
    });
    return token;
  }
}

/** What the app receives of an absolute-form target: its path and query. */
function pathAndQuery(target: RequestTarget): string {
  return target.query ? `${target.path}?${target.query}` : target.path;
}

function plain(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
