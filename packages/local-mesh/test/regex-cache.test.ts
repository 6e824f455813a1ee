import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';

// Issue 22 item 10: compiled route regexes lived in a cache keyed by pattern that never let go,
// +22 MiB per 1,000 distinct regexes over live edits. Now each generation of routes holds its own
// (a WeakMap keyed by the match): 1,000 generations, each with its own regex used once, are
// measured in a fresh Node with the collector run before and after.
const SCRIPT = `
import { Router } from './packages/local-mesh/src/router.ts';
const route = (i) => ({
  file: 'x.yaml',
  text: '',
  route: {
    name: 'route-x',
    hostnames: ['x.meshapps.internal'],
    rules: [{
      matches: [{ headers: [{ header: 'x-v', regexMatch: 'v' + i + '(?:[a-z]{1,9}|[0-9]{2,20})-(green|blue)' }] }],
      action: { destinations: [{ serviceName: 'projects/p/locations/global/backendServices/x' }] },
    }],
  },
});
const facts = { path: '/', headers: { 'x-v': 'v1abc-green' }, query: '' };
const warm = new Router([route(-1)]);
warm.resolve('x.meshapps.internal', facts);
globalThis.gc();
const before = process.memoryUsage().heapUsed;
let live;
for (let i = 0; i < 1000; i++) {
  live = new Router([route(i)]);
  live.resolve('x.meshapps.internal', facts);
}
globalThis.gc();
console.log(JSON.stringify({ before, after: process.memoryUsage().heapUsed }));
`;

describe('compiled route regexes live as long as their routes', () => {
  it('1,000 live edits, each with a new regex, leave the heap where it was', () => {
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', '--conditions=source', '--input-type=module', '-e', SCRIPT],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    const { before, after } = JSON.parse(out) as { before: number; after: number };
    const grownMiB = (after - before) / 1024 / 1024;
    // One generation stays live (the last), and V8 keeps some compiled code: ~0.8 MiB measured,
    // the same after 3,000 edits. A cache keyed by pattern grew 19.6 MiB here.
    expect(grownMiB).toBeLessThan(4);
  });
});
