import { existsSync, globSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import type { Nodes, RootContent } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { toString as textOf } from 'mdast-util-to-string';
import { describe, expect, it } from 'vitest';

/**
 * A map beside the code: every workspace package has a README whose entry points exist — each
 * file, `@meshapps/…` import and `pnpm` script it names — and that names every export of its
 * package.json; docs/architecture.md links every README.
 */
interface Manifest {
  name: string;
  exports?: Record<string, string | { source?: string }>;
  scripts?: Record<string, string>;
}
interface Workspace {
  dir: string;
  manifest: Manifest;
}

const read = (path: string) => readFileSync(path, 'utf8');
const manifestOf = (dir: string) => JSON.parse(read(join(dir, 'package.json'))) as Manifest;
const workspace: Workspace[] = ['apps', 'packages'].flatMap((top) =>
  readdirSync(join(REPO_ROOT, top)).map((name) => {
    const dir = join(REPO_ROOT, top, name);
    return { dir, manifest: manifestOf(dir) };
  }),
);
const rootScripts = manifestOf(REPO_ROOT).scripts ?? {};
const ENTRY = /^Entry points?[.:]?$/i;

/** The README's entry points: a "## Entry points" section, or the run after a bold "Entry points." */
function entryPointNodes(markdown: string): Nodes[] {
  const nodes = fromMarkdown(markdown).children;
  const at = nodes.findIndex((n) => n.type === 'heading' && ENTRY.test(textOf(n)));
  if (at >= 0) {
    const end = nodes.findIndex((n, i) => i > at && n.type === 'heading');
    return nodes.slice(at + 1, end < 0 ? undefined : end);
  }
  return nodes.flatMap((node: RootContent) => {
    if (node.type !== 'paragraph') return [];
    const start = node.children.findIndex((c) => c.type === 'strong' && ENTRY.test(textOf(c)));
    if (start < 0) return [];
    const end = node.children.findIndex((c, i) => i > start && c.type === 'strong');
    return node.children.slice(start + 1, end < 0 ? undefined : end);
  });
}

function codeSpans(node: Nodes): string[] {
  if (node.type === 'inlineCode') return [node.value];
  return 'children' in node ? node.children.flatMap((c) => codeSpans(c as Nodes)) : [];
}

/** The source file each export of a manifest points at, by its specifier. */
function exportsOf(manifest: Manifest): Map<string, string> {
  return new Map(
    Object.entries(manifest.exports ?? {}).map(([key, target]) => [
      key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`,
      (typeof target === 'string' ? target : (target.source ?? '')).replace(/^\.\//, ''),
    ]),
  );
}

type Kind = 'script' | 'import' | 'file';

/** What a code span among the entry points names: a pnpm script, a workspace import, a file; or prose. */
function kindOf(name: string): Kind | undefined {
  if (/^pnpm (?:--silent )?[\w:-]+/.test(name)) return 'script';
  if (/^@meshapps\/[\w-]+/.test(name)) return 'import';
  return /^[\w.@*-]+(\/[\w.@*-]*)+$|^[\w-]+\.(ts|js|json|md|yaml)$/.test(name) ? 'file' : undefined;
}

function exists(name: string, kind: Kind, pkg: Workspace): boolean {
  if (kind === 'script') {
    const script = /^pnpm (?:--silent )?([\w:-]+)/.exec(name)?.[1] ?? '';
    return script in rootScripts || script in (pkg.manifest.scripts ?? {});
  }
  if (kind === 'import') {
    const specifier = /^@meshapps\/[\w-]+(\/[\w-]+)?/.exec(name)?.[0] ?? '';
    return workspace.some((w) => exportsOf(w.manifest).has(specifier));
  }
  const base = /^(apps|packages|docs|infra)\//.test(name) ? REPO_ROOT : pkg.dir;
  return name.includes('*') ? globSync(name, { cwd: base }).length > 0 : existsSync(resolve(base, name));
}

const MISSING: Record<Kind, string> = {
  script: 'no such script',
  import: 'no such export',
  file: 'no such file',
};

/** A README's entry-point problems: names that do not exist, exports it leaves out, none at all. */
function readmeProblems(pkg: Workspace, markdown: string): string[] {
  const names = entryPointNodes(markdown).flatMap(codeSpans);
  const problems = names.flatMap((name) => {
    const kind = kindOf(name);
    return kind && !exists(name, kind, pkg) ? [`\`${name}\`: ${MISSING[kind]}`] : [];
  });
  for (const [specifier, source] of exportsOf(pkg.manifest))
    if (!names.includes(specifier) && !names.includes(source))
      problems.push(`export ${specifier} (${source}) is not among the entry points`);
  if (!names.some((n) => kindOf(n)))
    problems.push('no entry points named (a file, an import or a pnpm script)');
  return problems;
}

describe('every workspace package has a README with its entry points', () => {
  it.each(workspace.map((w) => [relative(REPO_ROOT, w.dir), w] as const))('%s', (_dir, pkg) => {
    const readme = join(pkg.dir, 'README.md');
    expect(existsSync(readme), `${readme} is missing`).toBe(true);
    expect(readmeProblems(pkg, read(readme))).toEqual([]);
  });

  it('docs/architecture.md links each of them', () => {
    const architecture = join(REPO_ROOT, 'docs/architecture.md');
    const linked = new Set<string>();
    const walk = (node: Nodes) => {
      if (node.type === 'link') linked.add(resolve(dirname(architecture), node.url.split('#')[0] ?? ''));
      if ('children' in node) for (const c of node.children) walk(c as Nodes);
    };
    walk(fromMarkdown(read(architecture)));
    const missing = workspace.map((w) => join(w.dir, 'README.md')).filter((r) => !linked.has(r));
    expect(missing.map((r) => relative(REPO_ROOT, r))).toEqual([]);
  });
});

// The check fed the mistakes it exists for (kept here, so it stays proven).
describe('the README check catches', () => {
  const call = workspace.find((w) => w.manifest.name === '@meshapps/call') as Workspace;
  const local = workspace.find((w) => w.manifest.name === '@meshapps/local-mesh') as Workspace;

  it('a named file, export or script that does not exist, and no entry points at all', () => {
    const readme =
      '**Entry points.** `src/gone.ts`, `@meshapps/call/nothing`, `pnpm no-such-script`, `src/index.ts`. **Who uses it.** `src/ignored.ts`.';
    expect(readmeProblems(call, readme)).toEqual([
      '`src/gone.ts`: no such file',
      '`@meshapps/call/nothing`: no such export',
      '`pnpm no-such-script`: no such script',
    ]);
    expect(readmeProblems(call, '# @meshapps/call\n\nNo entry points here.\n')).toEqual([
      'export @meshapps/call (src/index.ts) is not among the entry points',
      'no entry points named (a file, an import or a pnpm script)',
    ]);
  });

  it('an export of package.json the README does not name', () => {
    const readme = '## Entry points\n`src/cli.ts` (`pnpm start`), `@meshapps/local-mesh/mesh-process`.\n';
    expect(readmeProblems(local, readme)).toEqual([
      'export @meshapps/local-mesh (src/index.ts) is not among the entry points',
      'export @meshapps/local-mesh/cli-args (src/cli-args.ts) is not among the entry points',
      'export @meshapps/local-mesh/live-router (src/live-router.ts) is not among the entry points',
      'export @meshapps/local-mesh/process-alive (src/process-alive.ts) is not among the entry points',
      'export @meshapps/local-mesh/process-rss (src/process-rss.ts) is not among the entry points',
      'export @meshapps/local-mesh/route-match (src/route-match.ts) is not among the entry points',
    ]);
  });
});
