import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import {
  ConfigInvalidError,
  formatErrors,
  readConfigFile,
  readConfigFileSync,
  readRouteFiles,
  shownPath,
  type Topology,
} from '@meshapps/mesh-config';
import { checkMeshRoutes, type LiveRouter } from './live-router.ts';
import { resilienceNotices } from './resilience.ts';
import { appliedLine } from './route-diff.ts';
import { localNotices } from './unsupported.ts';

export interface RouteWatchOptions {
  routesDir: string;
  topologyFile: string;
  /** The topology the mesh started with: live routes are checked against it. */
  topology: Topology;
  router: LiveRouter;
  say: (line: string) => void;
  /** Editors write a file in several steps; wait this long after the last event. */
  settleMs?: number;
}

/**
 * Route CD on this machine: a change in the routes directory is checked exactly as at start and,
 * if valid, swapped in for every sidecar at once. Invalid edits leave the last good routes in force,
 * named file, field and reason — as `gcloud network-services http-routes import` would refuse them.
 */
export function watchRoutes(opts: RouteWatchOptions): { close: () => void } {
  const settleMs = opts.settleMs ?? 50;
  let lastSeen = snapshot(opts.router.routes);
  let timer: NodeJS.Timeout | undefined;

  // One reload at a time: files are read off the event loop now, and an edit that lands while a
  // reload reads runs once more after it.
  let reading = false;
  let again = false;
  const reload = async () => {
    timer = undefined;
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      await reloadOnce();
    } finally {
      reading = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  };
  const reloadOnce = async () => {
    let files: { file: string; text: string }[];
    try {
      files = await readRouteFiles(opts.routesDir);
    } catch (err) {
      return opts.say(`routes not applied (the last good routes stay): ${(err as Error).message}`);
    }
    // An editor's second write of the same bytes, or a touch, is not a change.
    if (snapshot(files) === lastSeen) return;
    lastSeen = snapshot(files);
    try {
      const routes = checkMeshRoutes(files, opts.topology);
      const line = appliedLine(opts.router.routes, routes);
      const before = new Map(opts.router.routes.map((r) => [r.route.name, r.text]));
      opts.router.swap(routes);
      opts.say(line);
      // The same labels as at start, for each route this edit added or changed (not on every save).
      const edited = routes.filter((r) => before.get(r.route.name) !== r.text);
      for (const notice of [...resilienceNotices(edited), ...localNotices(edited)]) opts.say(notice);
    } catch (err) {
      if (err instanceof ConfigInvalidError) {
        for (const line of formatErrors(err.errors).split('\n'))
          opts.say(`routes not applied (the last good routes stay): ${line}`);
        return;
      }
      // Not the edit's fault but ours: say so, and keep pnpm start (and the routes in force) running.
      opts.say(
        `routes reload failed in the local mesh: ${(err as Error).message} (the routes in force are those of the last "routes applied" line)`,
      );
    }
  };
  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void reload(), settleMs);
  };

  // The topology is read by the same bounded reader: at start (before anything serves), then off
  // the event loop on every change in its folder.
  const startedWith = readConfigFileSync(opts.topologyFile).text;
  let topologyText = startedWith;
  const onTopology = async (_event: string, name: string | Buffer | null) => {
    if (name !== null && String(name) !== basename(opts.topologyFile)) return;
    let now: string;
    try {
      now = (await readConfigFile(opts.topologyFile)).text;
    } catch (err) {
      now = '';
      if (topologyText !== now)
        opts.say(`${shownPath(opts.topologyFile)} cannot be read: ${(err as Error).message}`);
    }
    if (now === topologyText) return;
    topologyText = now;
    opts.say(
      now === startedWith
        ? `${shownPath(opts.topologyFile)} is back to the topology this run started with`
        : `${shownPath(opts.topologyFile)} changed: topology changes (services, invokers, env) need a restart of pnpm start; until then routes are checked against the topology it started with`,
    );
  };

  const watchers: FSWatcher[] = [];
  const keep = (what: string, watcher: FSWatcher) => {
    watcher.on('error', (err) => opts.say(`stopped watching ${what}: ${err.message}`));
    watcher.unref();
    watchers.push(watcher);
  };
  keep(shownPath(opts.routesDir), watch(opts.routesDir, schedule));
  // The directory, not the file: editors replace files by renaming, which ends a watch on the file.
  keep(
    shownPath(opts.topologyFile),
    watch(dirname(opts.topologyFile), (event, name) => void onTopology(event, name)),
  );
  return {
    close: () => {
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}

function snapshot(files: readonly { file: string; text: string }[]): string {
  return JSON.stringify(files.map((f) => [f.file, f.text]));
}
