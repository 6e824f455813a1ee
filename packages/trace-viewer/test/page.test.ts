// The viewer page in a real headless Chromium (`@meshapps/test-fixtures/chromium`: Debian's, never downloaded).
import { rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, launchChromium } from '@meshapps/test-fixtures/chromium';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTraceViewer, type TraceViewer } from '../src/index.ts';
import { chainTrace, newTraceId } from './fixtures.ts';

let viewer: TraceViewer;
let browser: Browser;

beforeAll(async () => {
  viewer = await startTraceViewer({ port: 0 });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await viewer?.close();
});

describe('the viewer page', () => {
  it('lists the trace and draws it as a waterfall: services, names, error status, attributes on click', async () => {
    const traceId = newTraceId();
    viewer.store.add(chainTrace(traceId));
    const page = await browser.newPage({ viewport: { width: 1280, height: 560 } });
    const offOrigin: string[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith(viewer.url)) offOrigin.push(req.url());
    });

    await page.goto(`${viewer.url}/?trace=${traceId}`);
    await page.locator('.waterfall .row').nth(5).waitFor();
    await page.locator('nav button[aria-current="true"]').waitFor();

    // Tree order: each service's spans where the call put them.
    expect(await page.locator('.waterfall .row .service').allTextContents()).toEqual([
      'client',
      'client',
      'proxy',
      'proxy',
      'sidecar',
      'target1',
    ]);
    const failed = page.locator('.waterfall .row.error');
    expect(await failed.locator('.name').allTextContents()).toEqual(['GET target1.meshapps.internal']);
    expect(await failed.locator('.bar.error').count()).toBe(1);
    expect(await page.locator('h2').textContent()).toBe(`Trace ${traceId}`);
    expect(await page.locator('nav').textContent()).toContain('client → proxy → sidecar → target1');

    await failed.click();
    const details = page.locator('.waterfall .details');
    await details.waitFor();
    expect(await details.textContent()).toContain('http.response.status_code403');

    const shot = join(tmpdir(), `meshapps-viewer-${traceId}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    expect((await stat(shot)).size).toBeGreaterThan(10_000);
    // MESHAPPS_KEEP_SCREENSHOTS=1 keeps it to look at; otherwise tmp does not fill up run after run.
    if (process.env.MESHAPPS_KEEP_SCREENSHOTS !== '1') await rm(shot);
    expect(offOrigin).toEqual([]);
    await page.close();
  });

  it('draws a trace with a planted 5 ms clock skew with every span inside its parent, adjusted spans marked', async () => {
    const traceId = newTraceId();
    const records = chainTrace(traceId).map((s) =>
      s.serviceName === 'proxy'
        ? {
            ...s,
            startTimeUnixNano: String(BigInt(s.startTimeUnixNano) + 5_000_000n),
            endTimeUnixNano: String(BigInt(s.endTimeUnixNano) + 5_000_000n),
          }
        : s,
    );
    viewer.store.add(records);
    const page = await browser.newPage({ viewport: { width: 1280, height: 560 } });
    await page.goto(`${viewer.url}/?trace=${traceId}`);
    await page.locator('.waterfall .row').nth(5).waitFor();
    const marked = page.locator('.waterfall .row:has(.skew)');
    expect(await marked.locator('.service').allTextContents()).toEqual(['proxy', 'proxy']);
    expect(await marked.first().locator('.skew').getAttribute('title')).toBe(
      'shifted −5.000 ms into its parent (clock skew between proxy and client)',
    );
    expect(await page.locator('#trace p.muted').textContent()).toContain('2 drawn adjusted for clock skew');
    // Drawn: each bar lies within its parent's bar.
    const bar = async (spanId: string) =>
      (await page.locator(`.row[data-span-id="${spanId}"] .bar`).boundingBox()) as {
        x: number;
        width: number;
      };
    for (const r of records) {
      if (!r.parentSpanId) continue;
      const [child, parent] = [await bar(r.spanId), await bar(r.parentSpanId)];
      expect(child.x).toBeGreaterThanOrEqual(parent.x - 0.5);
      expect(child.x + child.width).toBeLessThanOrEqual(parent.x + parent.width + 0.5);
    }
    await page.close();
  });

  it('says so when the trace is unknown', async () => {
    const page = await browser.newPage();
    await page.goto(`${viewer.url}/?trace=${newTraceId()}`);
    await page.locator('#trace p').filter({ hasText: 'is not here' }).waitFor();
    await page.close();
  });
});

describe('the service graph page', () => {
  it('draws caller → callee edges: a 403 edge and a weighted split stand out, and it updates as traffic flows', async () => {
    const hop = (caller: string, destination: string, route: string, status: number, ms: number) => ({
      traceId: newTraceId(),
      spanId: newTraceId().slice(0, 16),
      parentSpanId: newTraceId().slice(0, 16),
      serviceName: `${destination} sidecar`,
      name: `ingress ${destination}`,
      kind: 'server' as const,
      startTimeUnixNano: '1000000000',
      endTimeUnixNano: String(1_000_000_000 + ms * 1e6),
      status: { code: status >= 400 ? ('error' as const) : ('unset' as const) },
      attributes: {
        'http.response.status_code': status,
        'meshapps.caller': caller,
        'meshapps.destination': destination,
        'meshapps.route': route,
      },
    });
    const add = (n: number, ...args: Parameters<typeof hop>) =>
      viewer.store.add(Array.from({ length: n }, () => hop(...args)));
    add(40, 'client', 'proxy', 'route-proxy', 200, 4);
    add(40, 'proxy', 'target1', 'route-target1', 200, 2);
    add(12, 'client', 'target1', 'route-target1', 403, 1);
    add(25, 'client', 'target2', 'route-target23', 200, 2);
    add(25, 'client', 'target3', 'route-target23', 200, 2);

    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(`${viewer.url}/#graph`);
    const edge = (source: string, target: string) =>
      page.locator(`.edge[data-source="${source}"][data-target="${target}"]`);
    await edge('client', 'target3').waitFor();
    expect(await page.locator('main').isHidden()).toBe(true);
    expect(await page.locator('.node .node-name').allTextContents()).toEqual(
      expect.arrayContaining(['client', 'proxy', 'target1', 'target2', 'target3']),
    );
    expect(await edge('client', 'target1').getAttribute('class')).toBe('edge client');
    const labels = (source: string, target: string) =>
      page.locator(`.edge-labels[data-source="${source}"][data-target="${target}"]`);
    expect(await labels('client', 'target1').locator('.counts').textContent()).toBe('12 req · 4xx 12');
    expect(await edge('proxy', 'target1').getAttribute('class')).toBe('edge ok');
    expect(await labels('client', 'target2').locator('.route').textContent()).toBe('route-target23 · 50 %');
    expect(await labels('client', 'proxy').locator('.latency').textContent()).toMatch(
      /^p50 \d\.\d+ ms · p90 \d\.\d+ ms$/,
    );

    // More traffic arrives: the page follows without a reload.
    add(8, 'client', 'proxy', 'route-proxy', 500, 4);
    await page.locator('.edge[data-source="client"][data-target="proxy"].server').waitFor();
    expect(await labels('client', 'proxy').locator('.counts').textContent()).toBe('48 req · 2xx 40 · 5xx 8');

    const shot = join(tmpdir(), 'meshapps-viewer-graph.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect((await stat(shot)).size).toBeGreaterThan(10_000);
    if (process.env.MESHAPPS_KEEP_SCREENSHOTS !== '1') await rm(shot);
    await page.close();
  });
});
