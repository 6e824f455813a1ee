/**
 * From the graph to the traces behind it (Kiali: click an edge, see its traces): for each edge the
 * service graph counts, the last few traces whose hop it carried. Bounded like the graph itself —
 * `perEdge` entries per live edge, and the graph keeps at most `maxEdges` live edges — and dropped
 * with the edge when it leaves the window.
 */
export interface EdgeName {
  source: string;
  target: string;
  route: string;
}

export interface HopTrace extends EdgeName {
  traceId: string;
  /** When the collector received the hop (ms since the epoch): what the window slides on. */
  receivedMs: number;
  /** The hop's own start and duration, and its HTTP status. */
  startMs: number;
  durationMs: number;
  status: number;
}

/** Which edges a question is about: one caller → callee (optionally one route), or a service. */
export type EdgeQuery = { node: string } | { source: string; target: string; route?: string | undefined };

export class RecentTraces {
  private readonly perEdge: number;
  private readonly byEdge = new Map<string, HopTrace[]>();

  constructor(perEdge = 20) {
    this.perEdge = perEdge;
  }

  add(key: string, hop: HopTrace): void {
    let ring = this.byEdge.get(key);
    if (!ring) {
      ring = [];
      this.byEdge.set(key, ring);
    }
    ring.push(hop);
    if (ring.length > this.perEdge) ring.shift();
  }

  /** The edge left the window: its traces go with it. */
  drop(key: string): void {
    this.byEdge.delete(key);
  }

  /**
   * The newest traces through the edges `names` says match the query, received since `sinceMs`:
   * one entry per trace (its latest hop there), newest first, at most `limit`.
   */
  find(names: ReadonlyMap<string, EdgeName>, query: EdgeQuery, sinceMs: number, limit: number): HopTrace[] {
    const latest = new Map<string, HopTrace>();
    for (const [key, name] of names) {
      if (!matches(name, query)) continue;
      for (const hop of this.byEdge.get(key) ?? []) {
        if (hop.receivedMs < sinceMs) continue;
        const seen = latest.get(hop.traceId);
        if (!seen || hop.startMs > seen.startMs) latest.set(hop.traceId, hop);
      }
    }
    return [...latest.values()].sort((a, b) => b.startMs - a.startMs).slice(0, limit);
  }
}

function matches(name: EdgeName, query: EdgeQuery): boolean {
  if ('node' in query) return name.source === query.node || name.target === query.node;
  return (
    name.source === query.source &&
    name.target === query.target &&
    (query.route === undefined || name.route === query.route)
  );
}
