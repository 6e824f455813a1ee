// Headless Chromium for the page tests (this package's and local-mesh's, by relative path):
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

/**
 * Records the page's long main-thread tasks (Chromium's Long Tasks API: every task of 50 ms or
 * more, from the first document on). Call before `goto`; `longestTask` reads the longest so far.
 */
export async function recordLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: number[] = [];
    (globalThis as unknown as { __longTasks: number[] }).__longTasks = seen;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) seen.push(entry.duration);
      // 'longtask' is Chromium's entry type, not in Node's list of them.
    }).observe({ type: 'longtask' as 'mark', buffered: true });
  });
}

export function longestTask(page: Page): Promise<number> {
  return page.evaluate(() =>
    Math.max(0, ...(globalThis as unknown as { __longTasks: number[] }).__longTasks),
  );
}
