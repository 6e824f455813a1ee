import { type EdgeName, type EdgeQuery, type HopTrace, RecentTraces } from './recent-traces.ts';
import { msFromUnixNano, type SpanRecord } from './span-record.ts';

/**
 * The live service graph, as Kiali draws one for Istio: nodes are services (each with its sidecar
 * folded in), edges are caller → callee with counts by status class, p50/p90 and the route that
 * carried them, over a sliding window. Built from the spans the collector receives, as they arrive
 * (not from the trace store, which keeps only recent traces):
 * - a mesh hop is the destination sidecar's ingress span (it names caller, destination, route);
 * - a hop without the mesh is the caller's client span to a `<service>-<number>.<region>.run.app`.
 */
export interface GraphEdge {
  source: string;
  target: string;
  /** The HTTPRoute that carried the requests, or "run.app URL" for calls without the mesh. */
  route: string;
  requests: number;
  status: Record<StatusClass, number>;
  p50Ms: number;
  p90Ms: number;
  /** Of the source's requests on this route, the part that went to this target (the split). */
  share: number;
}

export interface GraphNode {
  id: string;
  /** Requests it answered (inbound edges), by status class. */
  inbound: Record<StatusClass, number>;
}

export interface ServiceGraphView {
  windowSeconds: number;
  generatedAt: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Hops not counted in the window because it already held `maxEdges` distinct edges. */
  droppedHops: number;
  maxEdges: number;
}

export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx';
const CLASSES: StatusClass[] = ['2xx', '3xx', '4xx', '5xx'];

export interface ServiceGraphOptions {
  windowSeconds?: number;
  /** Time buckets the window slides by. */
  bucketSeconds?: number;
  clock?: () => number;
  /** Distinct (caller, callee, route) edges kept over the window; hops on further edges are dropped. */
  maxEdges?: number;
  /** Recent traces remembered per edge (graph → traces). */
  tracesPerEdge?: number;
}

/**
 * Characters of a caller, callee or route name the graph keys on. Names come from span attributes
 * anyone can export, so one hostile batch must not hold thousands of 4 KiB keys for five minutes.
 */
export const GRAPH_NAME_CHARS = 128;

/** Latency kept as a log-spaced histogram (5 % wide bins): bounded memory, quantiles within ±2.5 %. */
const BIN_RATIO = Math.log(1.05);
const binOf = (ms: number) => Math.floor(Math.log(Math.max(ms, 0.001)) / BIN_RATIO);
const binValue = (bin: number) => Math.exp((bin + 0.5) * BIN_RATIO);

interface Tally {
  status: Record<StatusClass, number>;
  latency: Map<number, number>;
}

interface Bucket {
  tallies: Map<string, Tally>;
  /** Hops dropped in this bucket's time because the window was full of edges. */
  dropped: number;
}

export class ServiceGraph {
  private readonly windowMs: number;
  private readonly bucketMs: number;
  private readonly clock: () => number;
  private readonly maxEdges: number;
  /** bucket start (ms) → edge key → tally */
  private readonly buckets = new Map<number, Bucket>();
  /** Edge key → how many live buckets tally it: the window's distinct edges, kept as they change. */
  private readonly liveEdges = new Map<string, number>();
  /** Edge key → its names, for the live edges (parsed once, not per question). */
  private readonly edgeNames = new Map<string, EdgeName>();
  private readonly recent: RecentTraces;

  constructor(opts: ServiceGraphOptions = {}) {
    this.windowMs = (opts.windowSeconds ?? 300) * 1000;
    this.bucketMs = (opts.bucketSeconds ?? 10) * 1000;
    this.clock = opts.clock ?? Date.now;
    this.maxEdges = opts.maxEdges ?? 1000;
    this.recent = new RecentTraces(opts.tracesPerEdge ?? 20);
  }

  /** Feed it every span the collector accepts; only hops between services count. */
  add(spans: readonly SpanRecord[]): void {
    const now = this.clock();
    for (const span of spans) {
      const hop = hopOf(span);
      if (!hop) continue;
      const start = now - (now % this.bucketMs);
      let bucket = this.buckets.get(start);
      if (!bucket) {
        bucket = { tallies: new Map(), dropped: 0 };
        this.buckets.set(start, bucket);
        this.expire(now);
      }
      const key = JSON.stringify([hop.source, hop.target, hop.route]);
      let tally = bucket.tallies.get(key);
      if (!tally) {
        const live = this.liveEdges.get(key) ?? 0;
        if (live === 0 && this.liveEdges.size >= this.maxEdges) {
          bucket.dropped++;
          continue;
        }
        this.liveEdges.set(key, live + 1);
        if (live === 0) this.edgeNames.set(key, { source: hop.source, target: hop.target, route: hop.route });
        tally = { status: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }, latency: new Map() };
        bucket.tallies.set(key, tally);
      }
      tally.status[hop.status]++;
      const bin = binOf(hop.ms);
      tally.latency.set(bin, (tally.latency.get(bin) ?? 0) + 1);
      const name = this.edgeNames.get(key) as EdgeName;
      this.recent.add(key, {
        ...name,
        traceId: span.traceId,
        receivedMs: now,
        startMs: msFromUnixNano(span.startTimeUnixNano),
        durationMs: hop.ms,
        status: hop.code,
      });
    }
  }

  get windowSeconds(): number {
    return this.windowMs / 1000;
  }

  /** The newest traces whose hops an edge (or a service's edges) carried in the window. */
  tracesThrough(query: EdgeQuery, limit = 20): HopTrace[] {
    const now = this.clock();
    this.expire(now);
    return this.recent.find(this.edgeNames, query, now - this.windowMs, limit);
  }

  /** The graph over the last window, edges sorted by source, route, target. */
  snapshot(): ServiceGraphView {
    const now = this.clock();
    this.expire(now);
    const merged = new Map<string, Tally>();
    let droppedHops = 0;
    for (const bucket of this.buckets.values()) {
      droppedHops += bucket.dropped;
      for (const [key, t] of bucket.tallies) {
        const m = merged.get(key) ?? {
          status: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
          latency: new Map(),
        };
        for (const c of CLASSES) m.status[c] += t.status[c];
        for (const [bin, n] of t.latency) m.latency.set(bin, (m.latency.get(bin) ?? 0) + n);
        merged.set(key, m);
      }
    }
    const edges: GraphEdge[] = [...merged].map(([key, t]) => {
      const [source, target, route] = JSON.parse(key) as [string, string, string];
      const requests = CLASSES.reduce((a, c) => a + t.status[c], 0);
      return {
        source,
        target,
        route,
        requests,
        status: t.status,
        p50Ms: round(quantile(t.latency, requests, 0.5)),
        p90Ms: round(quantile(t.latency, requests, 0.9)),
        share: 0,
      };
    });
    const perRoute = new Map<string, number>();
    for (const e of edges)
      perRoute.set(`${e.source} ${e.route}`, (perRoute.get(`${e.source} ${e.route}`) ?? 0) + e.requests);
    for (const e of edges)
      e.share = round(e.requests / (perRoute.get(`${e.source} ${e.route}`) ?? e.requests), 4);
    edges.sort(
      (a, b) =>
        a.source.localeCompare(b.source) ||
        a.route.localeCompare(b.route) ||
        a.target.localeCompare(b.target),
    );

    const nodes = new Map<string, GraphNode>();
    const node = (id: string) => {
      let n = nodes.get(id);
      if (!n) {
        n = { id, inbound: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 } };
        nodes.set(id, n);
      }
      return n;
    };
    for (const e of edges) {
      node(e.source);
      const target = node(e.target);
      for (const c of CLASSES) target.inbound[c] += e.status[c];
    }
    return {
      windowSeconds: this.windowSeconds,
      generatedAt: new Date(now).toISOString(),
      nodes: [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id)),
      edges,
      droppedHops,
      maxEdges: this.maxEdges,
    };
  }

  private expire(now: number): void {
    for (const [start, bucket] of this.buckets) {
      if (start + this.bucketMs > now - this.windowMs) continue;
      this.buckets.delete(start);
      for (const key of bucket.tallies.keys()) {
        const live = (this.liveEdges.get(key) ?? 1) - 1;
        if (live > 0) this.liveEdges.set(key, live);
        else {
          this.liveEdges.delete(key);
          this.edgeNames.delete(key);
          this.recent.drop(key);
        }
      }
    }
  }
}

interface Hop {
  source: string;
  target: string;
  route: string;
  status: StatusClass;
  code: number;
  ms: number;
}

const RUN_APP = /^(.+)-\d+\.[a-z0-9-]+\.run\.app$/;

/** The hop a span stands for, if it is one. */
export function hopOf(span: SpanRecord): Hop | undefined {
  const a = span.attributes;
  const code = statusCode(a['http.response.status_code']);
  if (code === undefined) return undefined;
  const status = CLASSES[Math.floor(code / 100) - 2] as StatusClass;
  const ms = Math.max(0, msFromUnixNano(span.endTimeUnixNano) - msFromUnixNano(span.startTimeUnixNano));
  const caller = a['meshapps.caller'];
  const destination = a['meshapps.destination'];
  if (span.kind === 'server' && typeof caller === 'string' && typeof destination === 'string') {
    const route = typeof a['meshapps.route'] === 'string' ? a['meshapps.route'] : '(no route)';
    return { source: shorten(caller), target: shorten(destination), route: shorten(route), status, code, ms };
  }
  const host = a['server.address'];
  const runApp = span.kind === 'client' && typeof host === 'string' ? RUN_APP.exec(host) : null;
  if (runApp) {
    const target = shorten(runApp[1] as string);
    return { source: shorten(span.serviceName), target, route: 'run.app URL', status, code, ms };
  }
  return undefined;
}

/** At most GRAPH_NAME_CHARS characters (copied, so the key never pins a longer original). */
function shorten(name: string): string {
  if (name.length <= GRAPH_NAME_CHARS) return name;
  return `${Buffer.from(name.slice(0, GRAPH_NAME_CHARS), 'utf8').toString('utf8')}…`;
}

/** An HTTP status from 200 to 599 (1xx are not answers), or undefined. */
function statusCode(code: unknown): number | undefined {
  const n = typeof code === 'number' ? code : typeof code === 'string' ? Number(code) : Number.NaN;
  return Number.isInteger(n) && n >= 200 && n <= 599 ? n : undefined;
}

function quantile(histogram: Map<number, number>, total: number, q: number): number {
  if (total === 0) return 0;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (const bin of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(bin) ?? 0;
    if (seen >= rank) return binValue(bin);
  }
  return 0;
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
