import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import ts from 'typescript';
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
  '@meshapps/local-ca': [],
  '@meshapps/trace-viewer': ['@meshapps/request-target'],
  '@meshapps/telemetry': [],
  '@meshapps/test-fixtures': ['@meshapps/local-ca'],
  '@meshapps/service': ['@meshapps/request-target', '@meshapps/telemetry'],
  '@meshapps/call': ['@meshapps/request-target', '@meshapps/service'],
  '@meshapps/client': ['@meshapps/call', '@meshapps/service', '@meshapps/telemetry'],
  '@meshapps/proxy': ['@meshapps/call', '@meshapps/service', '@meshapps/telemetry'],
  '@meshapps/target': ['@meshapps/service', '@meshapps/telemetry'],
  '@meshapps/local-mesh': [
    '@meshapps/local-ca',
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

/**
 * Where tests reach further: the workspace devDependencies each package declares, which its
 * `test/` files (and only those) may import besides its LAYERS. Never back up the layers: the
 * graph of both stays without a cycle (checked below), so a base package's tests cannot import a
 * feature that imports the base package.
 */
const TEST_REACH: Record<string, string[]> = {
  '@meshapps/call': ['@meshapps/test-fixtures'],
  '@meshapps/service': ['@meshapps/test-fixtures'],
  '@meshapps/telemetry': ['@meshapps/test-fixtures', '@meshapps/trace-viewer'],
  '@meshapps/trace-viewer': ['@meshapps/test-fixtures'],
  '@meshapps/local-mesh': ['@meshapps/call', '@meshapps/measure', '@meshapps/test-fixtures'],
  '@meshapps/traffic': ['@meshapps/test-fixtures'],
  '@meshapps/deploy': ['@meshapps/test-fixtures'],
  '@meshapps/docs-check': ['@meshapps/test-fixtures'],
  '@meshapps/client': ['@meshapps/test-fixtures'],
  '@meshapps/proxy': ['@meshapps/test-fixtures'],
  '@meshapps/target': ['@meshapps/test-fixtures'],
};

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const packages = ['apps', 'packages'].flatMap((top) =>
  readdirSync(join(REPO_ROOT, top)).map((name) => {
    const dir = join(REPO_ROOT, top, name);
    return { dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest };
  }),
);
const workspace = (deps: Record<string, string> | undefined) =>
  Object.keys(deps ?? {})
    .filter((d) => d.startsWith('@meshapps/'))
    .sort();

/** Every script of a package (TypeScript and JavaScript), its dependencies and build output left out. */
function codeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : codeFiles(path);
    return e.isFile() && /\.[cm]?[jt]s$/.test(e.name) ? [path] : [];
  });
}

/** The workspace package a path lies in (the longest package folder that holds it), if any. */
function packageAt(path: string): string | undefined {
  const holders = packages.filter((p) => path === p.dir || path.startsWith(p.dir + sep));
  return holders.sort((a, b) => b.dir.length - a.dir.length)[0]?.manifest.name;
}

interface WorkspaceImport {
  specifier: string;
  reaches: string;
  relative: boolean;
}

/**
 * The imports of one file as TypeScript's own pre-processor finds them (static imports, re-exports,
 * `import()` with a literal, `require`), each reduced to the workspace package it reaches.
 */
function workspaceImports(file: string, text: string): WorkspaceImport[] {
  const found = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
  return found.flatMap((specifier): WorkspaceImport[] => {
    if (specifier.startsWith('.')) {
      const reaches = packageAt(resolve(dirname(file), specifier));
      return reaches && reaches !== packageAt(file) ? [{ specifier, reaches, relative: true }] : [];
    }
    const name = /^@meshapps\/[^/]+/.exec(specifier)?.[0];
    return name ? [{ specifier, reaches: name, relative: false }] : [];
  });
}

/** What a file may not import: a package outside what its place allows, or any package by a path. */
function violations(pkg: string, file: string, text: string): string[] {
  const inTests =
    relative(packages.find((p) => p.manifest.name === pkg)?.dir ?? '', file).split(sep)[0] === 'test';
  const allowed = new Set([...(LAYERS[pkg] ?? []), ...(inTests ? (TEST_REACH[pkg] ?? []) : [])]);
  const where = relative(REPO_ROOT, file);
  return workspaceImports(file, text).flatMap(({ specifier, reaches, relative: byPath }) => [
    ...(byPath
      ? [`${where}: '${specifier}' leaves ${pkg} for ${reaches}: import it by name, as declared`]
      : []),
    ...(allowed.has(reaches)
      ? []
      : [
          `${where}: '${specifier}' reaches ${reaches}, which ${pkg}'s ${inTests ? 'tests' : 'code'} may not import`,
        ]),
  ]);
}

/** A cycle in the graph of dependencies and test reach together, as the names along it. */
function cycle(edges: Record<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const visit = (node: string, path: string[]): string[] | undefined => {
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    if (state.get(node) === 'done') return undefined;
    state.set(node, 'open');
    for (const next of edges[node] ?? []) {
      const found = visit(next, [...path, node]);
      if (found) return found;
    }
    state.set(node, 'done');
    return undefined;
  };
  for (const node of Object.keys(edges)) {
    const found = visit(node, []);
    if (found) return found;
  }
  return undefined;
}

const bothGraphs = (reach: Record<string, string[]>) =>
  Object.fromEntries(Object.keys(LAYERS).map((p) => [p, [...(LAYERS[p] ?? []), ...(reach[p] ?? [])]]));

describe('packages point one way', () => {
  it('every workspace package has its place in the table', () => {
    expect(packages.map((p) => p.manifest.name).sort()).toEqual(Object.keys(LAYERS).sort());
    for (const name of Object.keys(TEST_REACH)) expect(Object.keys(LAYERS)).toContain(name);
  });

  it('tests reach further only down: dependencies and test reach together have no cycle', () => {
    expect(cycle(bothGraphs(TEST_REACH))).toBeUndefined();
  });

  it.each(packages.map((p) => [p.manifest.name, p] as const))(
    '%s declares what its place allows, and its code and tests import nothing else',
    (name, { dir, manifest }) => {
      expect(workspace(manifest.dependencies)).toEqual([...(LAYERS[name] ?? [])].sort());
      expect(workspace(manifest.devDependencies)).toEqual([...(TEST_REACH[name] ?? [])].sort());
      const found = codeFiles(dir).flatMap((f) => violations(name, f, readFileSync(f, 'utf8')));
      expect(found).toEqual([]);
    },
  );
});

// The check itself, fed the mistakes it exists for (kept here, so it stays proven).
describe('the layers check catches', () => {
  const at = (path: string) => join(REPO_ROOT, path);

  it("a base package's test importing a feature's src by relative path", () => {
    const planted = "import { chainRoutes } from '../../call/src/chain.ts';\n";
    expect(violations('@meshapps/service', at('packages/service/test/planted.test.ts'), planted)).toEqual([
      "packages/service/test/planted.test.ts: '../../call/src/chain.ts' leaves @meshapps/service for @meshapps/call: import it by name, as declared",
      "packages/service/test/planted.test.ts: '../../call/src/chain.ts' reaches @meshapps/call, which @meshapps/service's tests may not import",
    ]);
  });

  it('a dynamic import(), a re-export and a test-only package in code, but not strings or comments', () => {
    const planted = [
      "const mesh = await import('@meshapps/local-mesh/mesh-process');",
      "export { startHttpStub } from '@meshapps/test-fixtures';",
      "// import('@meshapps/call') in a comment, and `import('@meshapps/call')` in a string",
      'const text = "import \'@meshapps/call\'";',
    ].join('\n');
    expect(violations('@meshapps/telemetry', at('packages/telemetry/src/planted.ts'), planted)).toEqual([
      "packages/telemetry/src/planted.ts: '@meshapps/local-mesh/mesh-process' reaches @meshapps/local-mesh, which @meshapps/telemetry's code may not import",
      "packages/telemetry/src/planted.ts: '@meshapps/test-fixtures' reaches @meshapps/test-fixtures, which @meshapps/telemetry's code may not import",
    ]);
    // The same fixture from a test is what test reach allows.
    expect(
      violations(
        '@meshapps/telemetry',
        at('packages/telemetry/test/x.test.ts'),
        planted.split('\n')[1] ?? '',
      ),
    ).toEqual([]);
  });

  it('a relative import into another package even where its package may be imported by name', () => {
    const planted = "import { startLocalMesh } from '../../local-mesh/src/mesh.ts';\n";
    expect(violations('@meshapps/traffic', at('packages/traffic/test/planted.test.ts'), planted)).toEqual([
      "packages/traffic/test/planted.test.ts: '../../local-mesh/src/mesh.ts' leaves @meshapps/traffic for @meshapps/local-mesh: import it by name, as declared",
    ]);
  });

  it('a dev dependency that points back up the layers', () => {
    const reach = { ...TEST_REACH, '@meshapps/service': ['@meshapps/call', '@meshapps/test-fixtures'] };
    expect(cycle(bothGraphs(reach))).toEqual(['@meshapps/service', '@meshapps/call', '@meshapps/service']);
  });
});
