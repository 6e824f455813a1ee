// node packages/bench/src/profile-summary.ts FILE.cpuprofile [REQUESTS]
// Where a CPU profile (node --cpu-prof) spent its busy time, by package: every sample is charged
// to the first frame above it that belongs to a package (node_modules or this workspace), so
// time in Node's internals (socket writes, parsing) counts for whoever asked for it. With the
// number of requests served, also µs of CPU per request. JIT inlining moves some time into the
// caller's package: compare two profiles, do not read one to the microsecond.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function packageOf(url: string): string | undefined {
  const dep = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep) return dep[1];
  const own = /\/(packages|apps)\/([^/]+)\//.exec(url);
  return own ? `${own[1]}/${own[2]}` : undefined;
}

/** Busy µs per package (plus GC and V8's own), and the total busy µs. */
export function chargeByPackage(profile: Profile): { busyUs: number; byPackage: Map<string, number> } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byPackage = new Map<string, number>();
  let busyUs = 0;
  profile.samples.forEach((sample, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const leaf = byId.get(sample)?.callFrame.functionName;
    if (leaf === '(idle)') return;
    busyUs += us;
    let key = leaf === '(garbage collector)' ? 'GC' : leaf === '(program)' ? '(program)' : undefined;
    for (let id: number | undefined = sample; !key && id !== undefined; id = parent.get(id)) {
      key = packageOf(byId.get(id)?.callFrame.url ?? '');
    }
    key ??= 'node core (no package on the stack)';
    byPackage.set(key, (byPackage.get(key) ?? 0) + us);
  });
  return { busyUs, byPackage };
}

if (import.meta.main) {
  const [file, requests] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node packages/bench/src/profile-summary.ts FILE.cpuprofile [REQUESTS]');
    process.exit(2);
  }
  const { busyUs, byPackage } = chargeByPackage(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  const n = Number(requests) || 0;
  console.log(
    `busy ${(busyUs / 1e6).toFixed(2)} s${n ? `, ${(busyUs / n).toFixed(1)} µs CPU per request` : ''}`,
  );
  for (const [name, us] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    const perRequest = n ? `${(us / n).toFixed(1).padStart(7)} µs/req  ` : '';
    console.log(`${((100 * us) / busyUs).toFixed(1).padStart(5)}%  ${perRequest}${name}`);
  }
}
