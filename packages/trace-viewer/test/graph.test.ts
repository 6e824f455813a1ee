import { describe, expect, it } from 'vitest';
import { GRAPH_NAME_CHARS, ServiceGraph } from '../src/graph.ts';
import type { SpanRecord } from '../src/index.ts';
import { meshHop } from './fixtures.ts';

describe('the service graph', () => {
  it('counts mesh hops per caller → callee and route, by status class, with p50/p90 and the split', () => {
    const graph = new ServiceGraph({ clock: () => 0 });
    const spans: SpanRecord[] = [];
    for (let i = 0; i < 100; i++) spans.push(meshHop('client', 'proxy', 'route-proxy', 200, 1 + i / 10));
    for (let i = 0; i < 3; i++) spans.push(meshHop('client', 'target1', 'route-target1', 403, 0.5));
    for (let i = 0; i < 60; i++)
      spans.push(meshHop('client', i % 2 ? 'target2' : 'target3', 'route-target23', 200, 2));
    // The caller's own sidecar span and an app span are not hops of their own.
    spans.push({
      ...meshHop('client', 'proxy', 'route-proxy', 200, 1),
      kind: 'client',
      serviceName: 'client sidecar',
    });
    spans.push({ ...meshHop('x', 'y', 'r', 200, 1), attributes: { 'http.response.status_code': 200 } });
    graph.add(spans);

    const view = graph.snapshot();
    expect(view.nodes.map((n) => n.id)).toEqual(['client', 'proxy', 'target1', 'target2', 'target3']);
    expect(view.edges.map((e) => [e.source, e.target, e.route, e.requests, e.share])).toEqual([
      ['client', 'proxy', 'route-proxy', 100, 1],
      ['client', 'target1', 'route-target1', 3, 1],
      ['client', 'target2', 'route-target23', 30, 0.5],
      ['client', 'target3', 'route-target23', 30, 0.5],
    ]);
    const proxy = view.edges[0];
    expect(proxy?.status).toEqual({ '2xx': 100, '3xx': 0, '4xx': 0, '5xx': 0 });
    // Histogram quantiles: within a bin (±2.5 %) of the exact 5.9 and 9.9 ms… of 1.0 … 10.9 ms.
    expect(proxy?.p50Ms).toBeCloseTo(5.9, 0);
    expect(Math.abs((proxy?.p90Ms ?? 0) / 9.9 - 1)).toBeLessThan(0.03);
    expect(view.edges[1]?.status['4xx']).toBe(3);
    expect(view.nodes.find((n) => n.id === 'target1')?.inbound['4xx']).toBe(3);
  });

  it('counts a call without the mesh from the caller’s client span to a run.app URL', () => {
    const graph = new ServiceGraph({ clock: () => 0 });
    graph.add([
      {
        ...meshHop('', '', '', 401, 3),
        serviceName: 'without-mesh-client',
        kind: 'client',
        attributes: {
          'http.response.status_code': 401,
          'server.address': 'without-mesh-target-123456789012.asia-northeast1.run.app',
        },
      },
    ]);
    expect(graph.snapshot().edges).toMatchObject([
      {
        source: 'without-mesh-client',
        target: 'without-mesh-target',
        route: 'run.app URL',
        status: { '4xx': 1 },
      },
    ]);
  });

  it('slides: what is older than the window drops out', () => {
    let now = 1_000_000;
    const graph = new ServiceGraph({ windowSeconds: 300, bucketSeconds: 10, clock: () => now });
    graph.add([meshHop('client', 'proxy', 'route-proxy', 200, 1)]);
    now += 200_000;
    graph.add([meshHop('client', 'proxy', 'route-proxy', 500, 1)]);
    expect(graph.snapshot().edges[0]?.status).toMatchObject({ '2xx': 1, '5xx': 1 });
    now += 110_000;
    expect(graph.snapshot().edges[0]?.status).toMatchObject({ '2xx': 0, '5xx': 1 });
    now += 300_000;
    expect(graph.snapshot()).toMatchObject({ windowSeconds: 300, nodes: [], edges: [] });
  });

  it('is bounded: at most maxEdges distinct edges per window, names clipped, the dropped hops counted', () => {
    let now = 1_000_000;
    const graph = new ServiceGraph({ windowSeconds: 300, bucketSeconds: 10, clock: () => now });
    const hostile = Array.from({ length: 1500 }, (_, i) =>
      meshHop(`${i}-${'x'.repeat(4000)}`, 'proxy', 'route-proxy', 200, 1),
    );
    graph.add(hostile);
    graph.add([meshHop('client', 'proxy', 'route-proxy', 200, 1)]);
    const full = graph.snapshot();
    expect(full.edges).toHaveLength(1000);
    expect(full).toMatchObject({ droppedHops: 501, maxEdges: 1000 });
    for (const e of full.edges) expect(e.source.length).toBeLessThanOrEqual(GRAPH_NAME_CHARS + 1);
    // An edge already in the window still counts when it is full.
    graph.add([meshHop(hostile[0]?.attributes['meshapps.caller'] as string, 'proxy', 'route-proxy', 500, 1)]);
    expect(graph.snapshot().droppedHops).toBe(501);
    // Once the hostile edges leave the window, new edges count again.
    now += 320_000;
    graph.add([meshHop('client', 'proxy', 'route-proxy', 200, 1)]);
    expect(graph.snapshot()).toMatchObject({ droppedHops: 0, edges: [{ source: 'client', requests: 1 }] });
  });
});

describe('from the graph to its traces', () => {
  it('lists the newest traces through an edge (any route, or one), or through a service, once each', () => {
    let now = 1_000_000;
    const graph = new ServiceGraph({ clock: () => now });
    const chain = ['a1', 'a2', 'a3'].map((t) => t.padEnd(32, '0'));
    for (const [i, traceId] of chain.entries()) {
      graph.add([
        meshHop('client', 'proxy', 'route-proxy', 200, 2, traceId, 1000 + i),
        meshHop('proxy', 'target1', 'route-target1', 200, 1, traceId, 1001 + i),
      ]);
    }
    const refused = 'b1'.padEnd(32, '0');
    graph.add([meshHop('client', 'target1', 'route-target1', 403, 1, refused, 2000)]);
    // A retried hop: one trace, two hops on the same edge; listed once, by its latest hop.
    graph.add([meshHop('client', 'target1', 'route-retry', 503, 1, refused, 2001)]);
    now += 1000;

    const ids = (q: Parameters<ServiceGraph['tracesThrough']>[0], limit?: number) =>
      graph.tracesThrough(q, limit).map((t) => t.traceId);
    expect(ids({ source: 'proxy', target: 'target1' })).toEqual([...chain].reverse());
    expect(ids({ source: 'client', target: 'target1' })).toEqual([refused]);
    expect(graph.tracesThrough({ source: 'client', target: 'target1' })[0]).toMatchObject({
      route: 'route-retry',
      status: 503,
      startMs: 2001,
    });
    expect(ids({ source: 'client', target: 'target1', route: 'route-target1' })).toEqual([refused]);
    expect(ids({ source: 'client', target: 'target1', route: 'route-x' })).toEqual([]);
    expect(ids({ node: 'target1' })).toEqual([refused, ...[...chain].reverse()]);
    expect(ids({ node: 'target1' }, 2)).toEqual([refused, chain[2]]);
    expect(ids({ node: 'nobody' })).toEqual([]);
  });

  it('is bounded: tracesPerEdge per edge, and gone with the window', () => {
    let now = 1_000_000;
    const graph = new ServiceGraph({ clock: () => now, tracesPerEdge: 5, windowSeconds: 60 });
    graph.add(
      Array.from({ length: 50 }, (_, i) => meshHop('client', 'proxy', 'route-proxy', 200, 1, undefined, i)),
    );
    expect(graph.tracesThrough({ node: 'client' }, 50)).toHaveLength(5);
    expect(graph.tracesThrough({ node: 'client' }, 50).map((t) => t.startMs)).toEqual([49, 48, 47, 46, 45]);
    now += 70_000;
    expect(graph.tracesThrough({ node: 'client' }, 50)).toEqual([]);
    expect(graph.snapshot().edges).toEqual([]);
  });
});
