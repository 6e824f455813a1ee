import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';

/**
 * The dependency direction docs/architecture.md draws, as data: each workspace package and the
 * workspace packages its code may import. `request-target` (the one request-target reader) imports
 * none and is imported by every package that reads a request line; the other base packages import
 * it or nothing; `service` (what every app needs) imports no feature; features import `service`;
 * apps wire them; tools are never imported.
 */
const LAYERS: Record<string, string[]> = {
  '@meshapps/request-target': [],
  '@meshapps/mesh-config': [],
  '@meshapps/measure': [],
  '@meshapps/trace-viewer': ['@meshapps/request-target'],
  '@meshapps/telemetry': [],
  '@meshapps/service': ['@meshapps/request-target', '@meshapps/telemetry'],
  '@meshapps/call': ['@meshapps/request-target', '@meshapps/service'],
  '@meshapps/client': ['@meshapps/call', '@meshapps/service', '@meshapps/telemetry'],
  '@meshapps/proxy': ['@meshapps/call', '@meshapps/service', '@meshapps/telemetry'],
  '@meshapps/target': ['@meshapps/service', '@meshapps/telemetry'],
  '@meshapps/local-mesh': [
    '@meshapps/mesh-config',
    '@meshapps/request-target',
    '@meshapps/telemetry',
    '@meshapps/trace-viewer',
  ],
  '@meshapps/deploy': ['@meshapps/mesh-config'],
  '@meshapps/traffic': [
    '@meshapps/local-mesh',
    '@meshapps/measure',
    '@meshapps/mesh-config',
    '@meshapps/telemetry',
  ],
  '@meshapps/bench': [
    '@meshapps/infra-checks',
    '@meshapps/local-mesh',
    '@meshapps/measure',
    '@meshapps/mesh-config',
    '@meshapps/trace-viewer',
  ],
  '@meshapps/infra-checks': ['@meshapps/deploy', '@meshapps/mesh-config'],
  '@meshapps/docs-check': [
    '@meshapps/deploy',
    '@meshapps/infra-checks',
    '@meshapps/local-mesh',
    '@meshapps/mesh-config',
  ],
};

const dirs = ['apps', 'packages'].flatMap((top) =>
  readdirSync(join(REPO_ROOT, top)).map((name) => join(REPO_ROOT, top, name)),
);
const manifests = dirs.map((dir) => ({
  dir,
  manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    name: string;
    dependencies?: Record<string, string>;
  },
}));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

describe('packages point one way', () => {
  it('every workspace package has its place in the table', () => {
    expect(manifests.map((m) => m.manifest.name).sort()).toEqual(Object.keys(LAYERS).sort());
  });

  it.each(manifests.map((m) => [m.manifest.name, m] as const))(
    '%s depends on what its layer allows, and its sources import nothing else',
    (name, { dir, manifest }) => {
      const declared = Object.keys(manifest.dependencies ?? {}).filter((d) => d.startsWith('@meshapps/'));
      expect(declared.sort()).toEqual([...(LAYERS[name] ?? [])].sort());
      const imported = new Set(
        sourceFiles(join(dir, 'src')).flatMap((f) =>
          [...readFileSync(f, 'utf8').matchAll(/from '(@meshapps\/[a-z-]+)/g)].map((m) => m[1]),
        ),
      );
      for (const dependency of imported) expect(LAYERS[name]).toContain(dependency);
    },
  );
});
