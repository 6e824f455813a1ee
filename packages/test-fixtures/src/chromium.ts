// Headless Chromium for the page tests (trace-viewer's, local-mesh's and docs-check's):
// Debian's /usr/bin/chromium only, driven by playwright-core; no test tool ever downloads a browser
// (.ci/run installs the package).
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

// For the page tests of packages that do not depend on playwright-core themselves (docs-check).
export type { Browser, Page };

const CHROMIUM = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (the viewer page tests need it)`);
  }
  return chromium.launch({
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
}

export interface MainThreadTasks {
  /** The longest task on a renderer's main thread, wall clock (what a user waits). */
  longestMs: number;
  /** The most CPU one such task used: the page's own work, however busy the machine is. */
  longestCpuMs: number;
}

/**
 * Runs `action` under Chromium's performance timeline (CDP Tracing, the devtools.timeline categories: what the
 * DevTools Performance panel records) and reports the longest main-thread task of the renderers.
 * On a machine shared by many processes a task's wall time stretches with the load; its CPU time
 * (the trace's thread duration) does not, so limits are set on that and the wall time is reported.
 */
export async function mainThreadTasks(
  browser: Browser,
  page: Page,
  action: () => Promise<void>,
): Promise<MainThreadTasks> {
  await browser.startTracing(page, {
    categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'],
  });
  try {
    await action();
  } catch (err) {
    await browser.stopTracing();
    throw err;
  }
  const { traceEvents: events } = JSON.parse((await browser.stopTracing()).toString('utf8')) as {
    traceEvents: TraceEvent[];
  };
  const mains = new Set(
    events
      .filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
      .map((e) => `${e.pid}:${e.tid}`),
  );
  const tasks = events.filter((e) => e.name === 'RunTask' && mains.has(`${e.pid}:${e.tid}`));
  return {
    longestMs: Math.max(0, ...tasks.map((e) => (e.dur ?? 0) / 1000)),
    longestCpuMs: Math.max(0, ...tasks.map((e) => (e.tdur ?? 0) / 1000)),
  };
}

interface TraceEvent {
  name: string;
  pid: number;
  tid: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}
