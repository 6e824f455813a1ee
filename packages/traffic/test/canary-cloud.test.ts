import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROUTES_DIR, renderRoute } from '@meshapps/mesh-config';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runTrafficCli } from './helpers/cli.ts';

/**
 * `pnpm canary --cloud` against stand-ins, as the cloud shell glue is tested: a fake `gcloud` that
 * records its arguments and "imports" a route by keeping the file it was given, and a fake load
 * balancer that splits by whatever route was imported last.
 */
let dir: string;
let server: Server;
let lb: string;
let failEvery: number | undefined;

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
  failEvery = undefined;
  let seen = '';
  const sent = new Map<string, number>();
  let total = 0;
  server = createServer((_req, res) => {
    const text = readFileSync(imported(), 'utf8');
    if (text !== seen) [seen, total] = [text, 0];
    if (total === 0) sent.clear();
    total++;
    const dests = parse(text).rules[0].action.destinations as { serviceName: string; weight: number }[];
    const sum = dests.reduce((a, d) => a + d.weight, 0);
    let pick = '';
    let deficit = Number.NEGATIVE_INFINITY;
    for (const d of dests) {
      const name = d.serviceName.split('/').pop() as string;
      const gap = (total * d.weight) / sum - (sent.get(name) ?? 0);
      if (d.weight > 0 && gap > deficit) [pick, deficit] = [name, gap];
    }
    sent.set(pick, (sent.get(pick) ?? 0) + 1);
    const fails = pick === 'target-green' && failEvery && (sent.get(pick) as number) % failEvery === 0;
    res.writeHead(fails ? 500 : 200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        fails
          ? { error: { status: 500, message: 'failed on purpose', chain: ['client', pick] } }
          : { message: `client <- ${pick}` },
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  lb = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function canary(): Promise<{ code: number | null; out: string }> {
  return runTrafficCli(
    'canary/cli.ts',
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
      ...['--url', `${lb}/call/target.meshapps.internal`, '--routes', join(dir, 'routes')],
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
    failEvery = 5;
    const { code, out } = await canary();
    expect(code, out).toBe(1);
    expect(calls()).toHaveLength(2);
    expect(out).toMatch(/FAIL: target-green's success \d+\.\d % is below the 99\.0 % goal/);
    expect(out).toContain('rolling back route-target to target 99, target-green 1');
    expect(readFileSync(join(dir, 'routes/target.yaml'), 'utf8')).toBe(original);
    expect(readFileSync(imported(), 'utf8')).toBe(renderRoute(original, 'demo-project'));
  });
});
