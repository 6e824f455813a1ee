// The guide's pictures, taken from the real stack (`pnpm start -- --even-splits`, so the split
// counts come out the same every run) in headless Chromium. Every run compares what the page draws
// with the summary committed beside each picture (docs/workshop/images/NAME.json): texts with
// timings masked, services, edges, colours and boxes in whole pixels — a changed page fails here,
// without comparing pixels. `pnpm docs:pictures` (MESHAPPS_UPDATE_PICTURES=1) retakes the PNGs and
// rewrites the summaries.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type StartedMesh, startMesh } from '@meshapps/local-mesh/mesh-process';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { type Browser, launchChromium, type Page } from '@meshapps/test-fixtures/chromium';
import { type Box, drawnGraph, readabilityProblems } from '@meshapps/test-fixtures/graph-geometry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PICTURES_DIR } from '../src/pictures.ts';

const UPDATE = process.env.MESHAPPS_UPDATE_PICTURES === '1';

let mesh: StartedMesh;
let browser: Browser;
let viewer: string;
const traces = { chain: '', refused: '' };

const hex = (bytes: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');

async function call(path: string, traceId = hex(16)): Promise<string> {
  const res = await fetch(`${mesh.ready.loadBalancerUrl}/call/${path}`, {
    headers: { traceparent: `00-${traceId}-${hex(8)}-01` },
  });
  await res.arrayBuffer();
  return traceId;
}

/** Waits until the graph has counted what was sent: `expected` maps "source>target" to requests. */
async function counted(expected: Record<string, number>): Promise<void> {
  const deadline = Date.now() + 15_000;
  let edges: { source: string; target: string; requests: number }[] = [];
  while (Date.now() < deadline) {
    edges = ((await (await fetch(`${viewer}/api/graph`)).json()) as { edges: typeof edges }).edges;
    const got = (key: string) =>
      edges.filter((e) => `${e.source}>${e.target}` === key).reduce((a, e) => a + e.requests, 0);
    if (Object.entries(expected).every(([key, n]) => got(key) === n)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the graph has not counted ${JSON.stringify(expected)}: ${JSON.stringify(edges)}`);
}

/** Spans arrive a moment after the answer: waits until the trace has `spans` of them. */
async function traced(traceId: string, spans: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const res = await fetch(`${viewer}/api/traces/${traceId}`);
    if (res.ok && ((await res.json()) as { spans: unknown[] }).spans.length >= spans) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`trace ${traceId} did not reach ${spans} spans`);
}

beforeAll(async () => {
  mesh = await startMesh({ args: ['--even-splits'] });
  viewer = mesh.ready.traceViewerUrl;
  browser = await launchChromium();
  // Chapter 5's chain and refused hop first (the traces list beside them shows just those two).
  traces.chain = await call('proxy.meshapps.internal/target1.meshapps.internal');
  traces.refused = await call('target1.meshapps.internal');
  await traced(traces.chain, 9);
  await traced(traces.refused, 4);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  expect(await mesh?.stop()).toBe(0);
});

/** A box in whole pixels, as `x,y width×height`. */
const round = (b: Box) =>
  `${Math.round(b.x)},${Math.round(b.y)} ${Math.round(b.width)}×${Math.round(b.height)}`;
const masked = (text: string) =>
  text
    .replace(/\d+(\.\d+)? (ms|s)\b/g, '<ms>')
    .replace(/[0-9a-f]{32}/g, '<trace-id>')
    .replace(/\d{1,2}:\d{2}:\d{2}( [AP]M)?/g, '<time>');

/** Writes (when updating) or compares the picture's summary; writes its PNG when updating. */
async function picture(name: string, page: Page, drawn: unknown): Promise<void> {
  const summary = { picture: `${name}.png`, viewport: page.viewportSize(), drawn };
  const file = join(REPO_ROOT, PICTURES_DIR, `${name}.json`);
  if (UPDATE) {
    await page.screenshot({ path: join(REPO_ROOT, PICTURES_DIR, `${name}.png`) });
    writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  expect(existsSync(file), `${file} is missing: pnpm docs:pictures`).toBe(true);
  // A difference: the page no longer draws what the guide's picture shows (pnpm docs:pictures).
  expect(summary, `${PICTURES_DIR}/${name}.png is stale: pnpm docs:pictures`).toEqual(
    JSON.parse(readFileSync(file, 'utf8')),
  );
}

async function waterfall(page: Page) {
  const drawn = await page.evaluate(() => {
    const doc = (globalThis as any).document;
    const shown = [
      'status',
      'http.response.status_code',
      'meshapps.caller',
      'meshapps.destination',
      'meshapps.route',
      'meshapps.iam',
    ];
    return {
      heading: doc.querySelector('#trace h2').textContent as string,
      rows: [...doc.querySelectorAll('.waterfall .row')].map((r: any) => ({
        indent: r.querySelector('.label-cell').style.paddingLeft,
        service: r.querySelector('.service').textContent,
        chip: (globalThis as any).getComputedStyle(r.querySelector('.service')).backgroundColor,
        name: r.querySelector('.name').textContent,
        kind: r.querySelector('.kind').textContent,
        error: r.classList.contains('error'),
        bar: (globalThis as any).getComputedStyle(r.querySelector('.bar')).backgroundColor,
      })),
      details: [...doc.querySelectorAll('.waterfall .details tr')]
        .map((tr: any) => [tr.querySelector('th')?.textContent, tr.querySelector('td')?.textContent])
        .filter((pair: string[]) => shown.includes(pair[0] as string)) as [string, string][],
    };
  });
  return { ...drawn, heading: masked(drawn.heading) };
}

async function graph(page: Page) {
  const g = await drawnGraph(page);
  expect(readabilityProblems(g)).toEqual([]);
  return {
    nodes: g.nodes.map((n) => ({
      id: n.id,
      kind: n.kind,
      counts: n.counts,
      colour: n.colour,
      box: round(n.box),
    })),
    edges: g.edges.map(
      (e) =>
        `${e.source} → ${e.target} (${e.route}): ${e.kind}, ${e.colour}${e.dashed ? ', dashed' : ''}, arrow ${e.arrow}`,
    ),
    labels: g.labels.map((l) => ({
      edge: `${l.source} → ${l.target} (${l.route})`,
      lines: l.lines.map(masked),
      colour: l.colour,
      box: round(l.box),
    })),
    selected: await page
      .locator('.selected')
      .evaluateAll((gs) => gs.map((g: any) => g.getAttribute('class'))),
    panel: (await page.locator('#graph-traces :is(h2, p, li)').allTextContents()).map(masked),
  };
}

async function open(path: string, viewport: { width: number; height: number }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.setDefaultTimeout(20_000);
  await page.goto(`${viewer}${path}`);
  return page;
}

// In the guide's order, on one stack: each picture shows the traffic of the steps before it.
describe('the guide’s pictures, from the real stack', { timeout: 60_000 }, () => {
  it('waterfall-chain: chapter 5’s chain, nine spans across three services and their sidecars', async () => {
    const page = await open(`/?trace=${traces.chain}`, { width: 1440, height: 420 });
    await page.locator('.waterfall .row').nth(8).waitFor();
    await page.locator('nav button[aria-current="true"]').waitFor();
    const drawn = await waterfall(page);
    expect(drawn.rows.map((r) => r.service)).toEqual([
      'client',
      'client',
      'client sidecar',
      'proxy sidecar',
      'proxy',
      'proxy',
      'proxy sidecar',
      'target1 sidecar',
      'target1',
    ]);
    await picture('waterfall-chain', page, drawn);
    await page.close();
  });

  it('refused-hop: the 403 in the trace, the sidecar’s IAM decision opened', async () => {
    const page = await open(`/?trace=${traces.refused}`, { width: 1440, height: 560 });
    await page.locator('.waterfall .row').nth(3).waitFor();
    await page.locator('nav button[aria-current="true"]').waitFor();
    await page.locator('.waterfall .row', { hasText: 'ingress target1' }).click();
    await page.locator('.waterfall .details').waitFor();
    const drawn = await waterfall(page);
    expect(drawn.rows.filter((r) => r.error).map((r) => r.service)).toEqual([
      'client',
      'client sidecar',
      'target1 sidecar',
    ]);
    expect(JSON.stringify(drawn.details)).toContain('lacks roles/run.invoker');
    await picture('refused-hop', page, drawn);
    await page.close();
  });

  it('graph-split: after chapter 4’s 50:50 split, readable: no label on a service or another label', async () => {
    // 100 requests in a row split 50:50 exactly with --even-splits (each routed hop draws the next
    // of 100 evenly spaced numbers).
    for (let i = 0; i < 100; i++) await call('target23.meshapps.internal');
    await counted({
      'client>proxy': 1,
      'proxy>target1': 1,
      'client>target1': 1,
      'client>target2': 50,
      'client>target3': 50,
    });
    const page = await open('/#graph', { width: 1280, height: 470 });
    await page.locator('.edge-labels').nth(4).waitFor();
    const drawn = await graph(page);
    expect(drawn.labels.find((l) => l.edge === 'client → target2 (route-target23)')?.lines[0]).toBe(
      'route-target23 · 50 %',
    );
    await picture('graph-split', page, drawn);
    await page.close();
  });

  it('graph-canary: during the 99/1 canary, the new release’s edge selected with its traces', async () => {
    for (let i = 0; i < 100; i++) await call('target.meshapps.internal');
    await counted({ 'client>target': 99, 'client>target-green': 1 });
    const page = await open(
      `/#graph?${new URLSearchParams({ source: 'client', target: 'target-green', route: 'route-target' })}`,
      { width: 1280, height: 620 },
    );
    await page.locator('.edge-labels').nth(6).waitFor();
    await page.locator('#graph-traces a.graph-trace').first().waitFor();
    const drawn = await graph(page);
    expect(drawn.labels.find((l) => l.edge === 'client → target-green (route-target)')?.lines[0]).toBe(
      'route-target · 1.0 %',
    );
    await picture('graph-canary', page, drawn);
    await page.close();
  });
});
