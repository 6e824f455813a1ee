import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROUTES_DIR, renderRoute } from '@meshapps/mesh-config';
import { runSourceCli } from '@meshapps/test-fixtures';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type FakeLb, startFakeLb } from './helpers/fake-lb.ts';

/**
 * `pnpm canary --cloud` against stand-ins, as the cloud shell glue is tested: a fake `gcloud` that
 * records its arguments and "imports" a route by keeping the file it was given, and a fake load
 * balancer that splits by whatever route was imported last.
 */
let dir: string;
let lb: FakeLb;

const original = readFileSync(join(ROUTES_DIR, 'target.yaml'), 'utf8');
const imported = () => join(dir, 'imported-route-target.yaml');

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshapps-canary-cloud-'));
  cpSync(ROUTES_DIR, join(dir, 'routes'), { recursive: true });
  writeFileSync(imported(), renderRoute(original, 'demo-project'));
  writeFileSync(
    join(dir, 'gcloud'),
    [
      '#!/usr/bin/env bash',
      `echo "gcloud $*" >> "${dir}/calls.log"`,
      'for a in "$@"; do case "$a" in --source=*) src="${a#--source=}" ;; esac; done',
      `[[ "$*" == "network-services http-routes import "* ]] && cp "$src" "${dir}/imported-$4.yaml"`,
      'exit 0',
      '',
    ].join('\n'),
  );
  chmodSync(join(dir, 'gcloud'), 0o755);
  // The load balancer splits by whatever route was imported last.
  lb = await startFakeLb(imported);
});
afterEach(async () => {
  await lb.close();
  rmSync(dir, { recursive: true, force: true });
});

function canary(): Promise<{ code: number | null; out: string }> {
  return runSourceCli(
    'packages/traffic/src/canary/cli.ts',
    [
      ...[
        '--route',
        'target',
        '--to',
        'target-green',
        '--steps',
        '10,100',
        '--cloud',
        '--project',
        'demo-project',
      ],
      ...['--url', `${lb.url}/call/target.meshapps.internal`, '--routes', join(dir, 'routes')],
      ...['--confidence', '0.9', '--floor', '90'],
    ],
    { PATH: `${dir}:${process.env.PATH}` },
  );
}
const calls = () =>
  existsSync(join(dir, 'calls.log')) ? readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n') : [];
const weightsIn = (text: string) =>
  parse(text).rules[0].action.destinations.map((d: { weight: number }) => d.weight);

describe('pnpm canary --cloud, with gcloud and the load balancer stood in for', () => {
  it('imports each step as route CD does, judges it on the traffic through --url, and ends at 0/100', async () => {
    const { code, out } = await canary();
    expect(code, out).toBe(0);
    const importCall = (file: string) =>
      new RegExp(
        `^gcloud network-services http-routes import route-target --source=\\S+/${file} --location=global --project=demo-project --quiet$`,
      );
    expect(calls()).toEqual([
      expect.stringMatching(importCall('target.yaml')),
      expect.stringMatching(importCall('target.yaml')),
    ]);
    // Said up front on Google Cloud: the cold start's handling, and each step's requests and time.
    expect(out).toContain(
      '  cold start: the first 20 answers of target-green at each step count for success but are not timed (a new Cloud Run instance starts cold; the current release is warm)',
    );
    expect(out).toContain(
      [
        '  each step needs at least 34 clean answers of target-green (its first 20 not timed), so at least:',
        '     10 %: 340 requests, ~2 s from Cloud Shell',
        '    100 %: 34 requests, ~1 s from Cloud Shell',
        '    (estimated at 16 in flight and ~75 ms an answer, ≈ 213 req/s; each step prints the rate it sees)',
      ].join('\n'),
    );
    expect(out).toMatch(
      /^ {2}this step needs at least 340 requests: at the rate so far \(\d+ req\/s\) ~\d+ s$/m,
    );
    expect(out).toContain('+ gcloud network-services http-routes import route-target ');
    expect(out).toMatch(
      /step 1\/2: target 90, target-green 10 {3}\(written to .*routes\/target\.yaml\)\n {2}\+ gcloud/,
    );
    expect(out).toMatch(/served after \d+ requests: target 9\d\.\d %/);
    expect(readFileSync(imported(), 'utf8')).toContain(
      'projects/demo-project/locations/global/backendServices/target-green',
    );
    expect(weightsIn(readFileSync(imported(), 'utf8'))).toEqual([0, 100]);
    expect(weightsIn(readFileSync(join(dir, 'routes/target.yaml'), 'utf8'))).toEqual([0, 100]);
  });

  it('rolls back by importing the previous weights when the new release fails, and exits 1', async () => {
    lb.failEvery = 5;
    const { code, out } = await canary();
    expect(code, out).toBe(1);
    expect(calls()).toHaveLength(2);
    expect(out).toMatch(/FAIL: target-green's success \d+\.\d % is below the 99\.0 % goal/);
    expect(out).toContain('rolling back route-target to target 99, target-green 1');
    expect(readFileSync(join(dir, 'routes/target.yaml'), 'utf8')).toBe(original);
    expect(readFileSync(imported(), 'utf8')).toBe(renderRoute(original, 'demo-project'));
  });

  it('refuses up front a walk whose step cannot pass within --max-requests', async () => {
    const { code, out } = await runSourceCli('packages/traffic/src/canary/cli.ts', [
      ...['--route', 'target', '--to', 'target-green', '--steps', '1,100', '--max-requests', '10000'],
      ...['--cloud', '--project', 'demo-project', '--url', `${lb.url}/call/target.meshapps.internal`],
      ...['--routes', join(dir, 'routes')],
    ]);
    expect(code, out).toBe(2);
    expect(out).toMatch(
      /^canary: step 1 % cannot pass within --max-requests 10000: it needs at least 14600 requests \(raise --max-requests or start at a larger step\)$/m,
    );
    expect(calls()).toEqual([]);
  });
});
