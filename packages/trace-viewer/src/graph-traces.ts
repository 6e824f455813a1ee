import { GRAPH_NAME_CHARS, type ServiceGraph } from './graph.ts';
import type { EdgeQuery, HopTrace } from './recent-traces.ts';
import type { TraceSummary } from './span-record.ts';
import type { TraceStore } from './trace-store.ts';

/** What `GET /api/graph/traces` answers: the recent traces through an edge or a service. */
export interface GraphTracesView {
  query: EdgeQuery;
  windowSeconds: number;
  traces: (HopTrace & {
    /** The trace as the store has it; null once the store let it go (it keeps the newest 500). */
    trace: Omit<TraceSummary, 'services'> | null;
  })[];
}

const MAX_LIMIT = 50;

/**
 * `?source=A&target=B[&route=R]` (one caller → callee) or `?node=A` (every edge in or out of A),
 * `&limit=N` (1–50, default 20). Names longer than the graph keeps can match nothing: refused.
 */
export function graphTraces(
  params: URLSearchParams,
  graph: ServiceGraph,
  store: TraceStore,
): { status: number; body: GraphTracesView | { error: string } } {
  const query = queryOf(params);
  if (typeof query === 'string') return { status: 400, body: { error: query } };
  const limit = Number(params.get('limit') ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    return { status: 400, body: { error: `limit is a whole number from 1 to ${MAX_LIMIT}` } };
  const traces = graph.tracesThrough(query, limit).map((hop) => {
    const summary = store.summary(hop.traceId);
    if (!summary) return { ...hop, trace: null };
    const { services: _, ...trace } = summary;
    return { ...hop, trace };
  });
  return { status: 200, body: { query, windowSeconds: graph.windowSeconds, traces } };
}

function queryOf(params: URLSearchParams): EdgeQuery | string {
  const names = ['node', 'source', 'target', 'route'] as const;
  for (const name of names) {
    if ((params.get(name)?.length ?? 0) > GRAPH_NAME_CHARS + 1)
      return `${name} is longer than the ${GRAPH_NAME_CHARS} characters the graph keeps of a name`;
  }
  const [node, source, target, route] = names.map((n) => params.get(n) ?? undefined);
  if (node !== undefined && source === undefined && target === undefined && route === undefined)
    return { node };
  if (node === undefined && source !== undefined && target !== undefined) return { source, target, route };
  return 'ask for ?node=SERVICE or ?source=CALLER&target=CALLEE[&route=ROUTE]';
}
