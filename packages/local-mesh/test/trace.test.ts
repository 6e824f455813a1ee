import { rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '@meshapps/test-fixtures/chromium';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, type Stack, startStack } from './helpers/stack.ts';

// Demo 5 against the real stack: one trace across every hop, sidecars included.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  expect(await stack.stop()).toBe(0);
});

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  serviceName: string;
  name: string;
  startMs: number;
  durationMs: number;
  adjusted?: { rawStartMs: number; rawDurationMs: number; reason: string };
  status: { code: string; message?: string };
  attributes: Record<string, unknown>;
}

const randomHex = (bytes: number) =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');

const CHAIN = '/call/proxy.meshapps.internal/target1.meshapps.internal';

/** The trace's spans once it has at least `minSpans` (they arrive in batches after the answer). */
async function spansAtLeast(traceId: string, minSpans: number): Promise<Span[]> {
  const deadline = Date.now() + 10_000;
  let spans: Span[] = [];
  while (Date.now() < deadline) {
    const res = await fetch(`${stack.traceViewer}/api/traces/${traceId}`);
    if (res.ok) spans = ((await res.json()) as { spans: Span[] }).spans;
    else await res.body?.cancel();
    if (spans.length >= minSpans) return spans;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`trace ${traceId} has ${spans.length} spans, expected at least ${minSpans}`);
}

/**
 * Every span of `traceId` there will be: at least `minSpans`, and then a marker — a fresh trace
 * through client, proxy, target1 and their sidecars, i.e. every process that exports — arrived
 * whole. A process exports its spans in the order it ends them, so once its spans of the marker
 * are in, its spans of the earlier trace are too: what is missing then never comes.
 */
async function traceOf(traceId: string, minSpans: number): Promise<Span[]> {
  await spansAtLeast(traceId, minSpans);
  const marker = randomHex(16);
  await (
    await fetch(`${stack.lb}${CHAIN}`, { headers: { traceparent: `00-${marker}-${randomHex(8)}-01` } })
  ).text();
  await spansAtLeast(marker, 9);
  return ((await (await fetch(`${stack.traceViewer}/api/traces/${traceId}`)).json()) as { spans: Span[] })
    .spans;
}

describe('one trace across every hop', () => {
  const traceId = randomHex(16);
  const callerSpan = randomHex(8);
  let spans: Span[];

  beforeAll(async () => {
    const res = await fetch(`${stack.lb}/call/proxy.meshapps.internal/target1.meshapps.internal`, {
      headers: { traceparent: `00-${traceId}-${callerSpan}-01` },
    });
    expect(await res.json()).toEqual({ message: 'client <- proxy <- target1' });
    expect(res.headers.get('x-trace-id')).toBe(traceId);
    // Per app one server span and one client span per hop (decision 050), two sidecar spans per hop.
    spans = await traceOf(traceId, 9);
  });

  it('has spans of client, proxy and target1 and of their sidecars', () => {
    const services = new Set(spans.map((s) => s.serviceName));
    for (const s of ['client', 'proxy', 'target1', 'client sidecar', 'proxy sidecar', 'target1 sidecar']) {
      expect(services).toContain(s);
    }
    expect(spans.every((s) => s.traceId === traceId)).toBe(true);
  });

  it('forms a single tree under the caller’s span', () => {
    const ids = new Set(spans.map((s) => s.spanId));
    const roots = spans.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId));
    expect(roots).toHaveLength(1);
    expect(roots[0]).toMatchObject({ serviceName: 'client', parentSpanId: callerSpan });
    // Every span reaches the root by parent links, and the hops nest in call order.
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const depthOf = (s: Span): number =>
      s.parentSpanId && byId.has(s.parentSpanId) ? 1 + depthOf(byId.get(s.parentSpanId) as Span) : 0;
    const firstDepth = (service: string) =>
      Math.min(...spans.filter((s) => s.serviceName === service).map(depthOf));
    const order = ['client', 'client sidecar', 'proxy sidecar', 'proxy', 'target1 sidecar', 'target1'].map(
      firstDepth,
    );
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('log lines of client, proxy and target1 for that request carry the same Cloud Logging trace', async () => {
    const field = `"logging.googleapis.com/trace":"projects/meshapps-local/traces/${traceId}"`;
    const deadline = Date.now() + 5000;
    const services = () =>
      new Set(stack.lines.filter((l) => l.includes(field)).map((l) => l.split(/\s+/)[0]));
    while (services().size < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect([...services()].sort()).toEqual(['client', 'proxy', 'target1']);
  });
});

describe('the viewer page draws that trace', () => {
  it('renders the chain’s waterfall in headless Chromium with every service drawn', async () => {
    const traceId = randomHex(16);
    await fetch(`${stack.lb}/call/proxy.meshapps.internal/target1.meshapps.internal`, {
      headers: { traceparent: `00-${traceId}-${randomHex(8)}-01` },
    });
    await traceOf(traceId, 9);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 700 } });
      await page.goto(`${stack.traceViewer}/?trace=${traceId}`);
      await page.locator('.waterfall .row').nth(8).waitFor();
      const drawn = new Set(await page.locator('.waterfall .row .service').allTextContents());
      for (const service of [
        'client',
        'client sidecar',
        'proxy sidecar',
        'proxy',
        'target1 sidecar',
        'target1',
      ]) {
        expect(drawn).toContain(service);
      }
      const shot = join(tmpdir(), `meshapps-stack-trace-${traceId}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      expect((await stat(shot)).size).toBeGreaterThan(10_000);
      if (process.env.MESHAPPS_KEEP_SCREENSHOTS !== '1') await rm(shot);
    } finally {
      await browser.close();
    }
  });
});

describe('a forbidden hop in the trace', () => {
  it('records the 403 as an error on the hop that was refused', async () => {
    const traceId = randomHex(16);
    const { status } = await getJson(`${stack.lb}/call/target1.meshapps.internal`, {
      traceparent: `00-${traceId}-${randomHex(8)}-01`,
    });
    expect(status).toBe(403);
    const spans = await traceOf(traceId, 4);
    const ingress = spans.find((s) => s.name === 'ingress target1');
    expect(ingress).toMatchObject({ serviceName: 'target1 sidecar', status: { code: 'error' } });
    expect(ingress?.attributes['meshapps.iam']).toContain('lacks roles/run.invoker');
    const clientCall = spans.find(
      (s) => s.serviceName === 'client' && s.name.includes('target1.meshapps.internal'),
    );
    expect(clientCall?.status.code).toBe('error');
    // target1's app never ran: no span of it.
    expect(spans.some((s) => s.serviceName === 'target1')).toBe(false);
  });
});

describe('a waterfall you can trust', () => {
  it('across 15 chain traces no span is drawn outside its parent; raw times share one time base', async () => {
    const ids = Array.from({ length: 15 }, () => randomHex(16));
    for (const traceId of ids) {
      await getJson(`${stack.lb}/call/proxy.meshapps.internal/target1.meshapps.internal`, {
        traceparent: `00-${traceId}-${randomHex(8)}-01`,
      });
    }
    const figures = {
      spans: 0,
      drawnOutside: 0,
      adjusted: 0,
      rawOutside: 0,
      rawEarlyMs: 0,
      sameProcessOutside: 0,
    };
    const traces = await Promise.all(ids.map((traceId) => traceOf(traceId, 9)));
    for (const spans of traces) {
      const raw = spans.map((s) =>
        s.adjusted ? { ...s, startMs: s.adjusted.rawStartMs, durationMs: s.adjusted.rawDurationMs } : s,
      );
      const parentOf = (list: Span[], s: Span) => list.find((p) => p.spanId === s.parentSpanId);
      spans.forEach((s, i) => {
        figures.spans++;
        if (s.adjusted) figures.adjusted++;
        const p = parentOf(spans, s);
        const r = raw[i] as Span;
        const rp = parentOf(raw, r);
        if (!p || !rp) return;
        if (s.startMs < p.startMs - 1e-6 || s.startMs + s.durationMs > p.startMs + p.durationMs + 1e-6)
          figures.drawnOutside++;
        const early = rp.startMs - r.startMs;
        const late = r.startMs + r.durationMs - (rp.startMs + rp.durationMs);
        if (early > 0 || late > 0) {
          figures.rawOutside++;
          figures.rawEarlyMs = Math.max(figures.rawEarlyMs, early);
          if (r.serviceName === rp.serviceName) figures.sameProcessOutside++;
        }
      });
    }
    console.log(`15 chain traces: ${JSON.stringify(figures)}`);
    expect(figures.spans).toBe(15 * 9);
    expect(figures.drawnOutside).toBe(0);
    // At the source: one process's spans nest, and no child starts before its parent by more than
    // the shared clock's worst anchor (what remains are ends stamped by callbacks that ran late).
    expect(figures.sameProcessOutside).toBe(0);
    expect(figures.rawEarlyMs).toBeLessThan(0.5);
  });
});

describe('the live service graph', () => {
  it('GET /api/graph after the demo curls: client→proxy and proxy→target1 (2xx), client→target1 (4xx)', async () => {
    await getJson(`${stack.lb}/call/proxy.meshapps.internal/target1.meshapps.internal`);
    await getJson(`${stack.lb}/call/target1.meshapps.internal`);
    await getJson(`${stack.lb}/call/target23.meshapps.internal`);
    type Edge = {
      source: string;
      target: string;
      route: string;
      requests: number;
      status: Record<string, number>;
    };
    const edge = (edges: Edge[], source: string, target: string) =>
      edges.find((e) => e.source === source && e.target === target);
    let edges: Edge[] = [];
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      edges = (await getJson(`${stack.traceViewer}/api/graph`)).body.edges;
      if (edge(edges, 'client', 'target1') && edge(edges, 'proxy', 'target1')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(edge(edges, 'client', 'proxy')).toMatchObject({
      route: 'route-proxy',
      status: { '2xx': expect.any(Number) },
    });
    expect(edge(edges, 'client', 'proxy')?.status['2xx']).toBeGreaterThan(0);
    expect(edge(edges, 'proxy', 'target1')).toMatchObject({ route: 'route-target1', status: { '4xx': 0 } });
    expect(edge(edges, 'proxy', 'target1')?.status['2xx']).toBeGreaterThan(0);
    expect(edge(edges, 'client', 'target1')).toMatchObject({ route: 'route-target1', status: { '2xx': 0 } });
    expect(edge(edges, 'client', 'target1')?.status['4xx']).toBeGreaterThan(0);

    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
      await page.goto(`${stack.traceViewer}/#graph`);
      const drawn = (source: string, target: string) =>
        page.locator(`.edge[data-source="${source}"][data-target="${target}"]`);
      await drawn('client', 'target1').waitFor();
      expect(await drawn('client', 'target1').getAttribute('class')).toBe('edge client');
      expect(await drawn('client', 'proxy').getAttribute('class')).toBe('edge ok');
      expect(await drawn('proxy', 'target1').getAttribute('class')).toBe('edge ok');
      const shot = join(tmpdir(), 'meshapps-stack-graph.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect((await stat(shot)).size).toBeGreaterThan(10_000);
      if (process.env.MESHAPPS_KEEP_SCREENSHOTS !== '1') await rm(shot);
    } finally {
      await browser.close();
    }
  });
});
