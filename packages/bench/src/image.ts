import { lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ReplayResult, replayBuild } from '@meshapps/infra-checks/docker-replay';
import { REPO_ROOT } from '@meshapps/mesh-config';
import type { Figure } from './report.ts';

/** Each app's image filesystem, built by replaying the Dockerfile's build stage (no Docker needed). */
export interface Images {
  byApp: Map<string, ReplayResult>;
  buildMs: Map<string, number>;
  remove(): void;
}

export function buildImages(apps: readonly string[], log: (line: string) => void): Images {
  const tmp = mkdtempSync(join(tmpdir(), 'meshapps-bench-'));
  const byApp = new Map<string, ReplayResult>();
  const buildMs = new Map<string, number>();
  for (const app of apps) {
    log(
      `building the ${app} image (Dockerfile build stage replayed: pnpm install, tsc, pnpm deploy --prod)…`,
    );
    const started = performance.now();
    byApp.set(app, replayBuild({ root: REPO_ROOT, app, tmp: join(tmp, app) }));
    buildMs.set(app, performance.now() - started);
  }
  return { byApp, buildMs, remove: () => rmSync(tmp, { recursive: true, force: true }) };
}

/** Bytes of every file under `dir` (symlinks counted once, as links: pnpm's node_modules has many). */
export function dirBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += dirBytes(path);
    else total += lstatSync(path).size;
  }
  return total;
}

/** Top-level packages of an app's node_modules/.pnpm store, largest first (what to look at). */
export function largestPackages(appDir: string, count: number): [string, number][] {
  const store = join(appDir, 'node_modules', '.pnpm');
  let entries: string[];
  try {
    entries = readdirSync(store).filter((e) => e !== 'node_modules' && !e.startsWith('lock'));
  } catch {
    return [];
  }
  return entries
    .map((e): [string, number] => [e.replace(/_.*$/, ''), dirBytes(join(store, e))])
    .sort((a, b) => b[1] - a[1])
    .slice(0, count);
}

export function footprintFigures(images: Images | undefined, apps: readonly string[]): Figure[] {
  return apps.map((app) => {
    const result = images?.byApp.get(app);
    return {
      id: `footprint.${app}`,
      label: `production footprint of ${app} (the image's /app: pnpm deploy --prod output)`,
      value: result ? dirBytes(result.appDir) / 1e6 : null,
      unit: 'MB',
      goal: { op: '<=', limit: 30 },
      ...(result ? {} : { note: 'skipped in --quick (needs the image build)' }),
    };
  });
}
