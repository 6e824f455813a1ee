// The viewer page in a real headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; no browser is ever downloaded).
import { existsSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTraceViewer, type TraceViewer } from '../src/index.ts';
import { chainTrace, newTraceId } from './fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';

let viewer: TraceViewer;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (the viewer page test needs it)`);
  }
  viewer = await startTraceViewer({ port: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
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

  it('says so when the trace is unknown', async () => {
    const page = await browser.newPage();
    await page.goto(`${viewer.url}/?trace=${newTraceId()}`);
    await page.locator('#trace p').filter({ hasText: 'is not here' }).waitFor();
    await page.close();
  });
});
