import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import type { Fence, MarkdownDoc } from './markdown.ts';

/**
 * Code the guide shows is quoted from the real file, never pasted: a block written under
 * `<!-- quote: path -->` holds the whole file, under `<!-- quote: path#name -->` the top-level
 * declaration `name` with the comment above it. `pnpm docs:build` writes the blocks; the docs
 * test fails when one differs from its source.
 */

const DECLARATION = (name: string) =>
  new RegExp(
    `^(export\\s+)?(default\\s+)?(async\\s+)?(function\\*?|const|let|class|interface|type|enum)\\s+${name}\\b`,
  );

/** The 0-based first and last line of the top-level declaration `name` (with its comment). */
function declarationRange(lines: string[], name: string, where: string): [number, number] {
  const start = lines.findIndex((l) => DECLARATION(name).test(l));
  if (start < 0) throw new Error(`${where}: no top-level declaration "${name}"`);
  let first = start;
  // The doc comment (or // lines) right above belongs to it.
  if (lines[first - 1]?.trim().endsWith('*/')) {
    while (first > 0 && !(lines[first - 1] as string).trimStart().startsWith('/*')) first--;
    first--;
  } else {
    while (first > 0 && (lines[first - 1] as string).startsWith('//')) first--;
  }
  let end = start;
  // Biome puts the closing brace of a top-level declaration at column 0; a one-line one ends in `;`.
  if (!/;\s*$/.test(lines[start] as string)) {
    while (end < lines.length && !/^[}\]]/.test(lines[end] as string)) end++;
  }
  return [first, end];
}

function declaration(lines: string[], name: string, where: string): string[] {
  const [first, end] = declarationRange(lines, name, where);
  return lines.slice(first, end + 1);
}

/** Where a quote comes from: the file, and its 0-based first and last line there. */
export function quotedRange(source: string, root = REPO_ROOT): { path: string; first: number; last: number } {
  const [path, name] = source.split('#') as [string, string | undefined];
  const lines = readFileSync(join(root, path), 'utf8').replace(/\n$/, '').split('\n');
  const [first, last] = name ? declarationRange(lines, name, path) : [0, lines.length - 1];
  return { path, first, last };
}

/** The lines a quote marker stands for. */
export function quoted(source: string, root = REPO_ROOT): string[] {
  const [path, name] = source.split('#') as [string, string | undefined];
  const file = join(root, path);
  if (!existsSync(file)) throw new Error(`quote: ${path} does not exist`);
  const lines = readFileSync(file, 'utf8').replace(/\n$/, '').split('\n');
  return name ? declaration(lines, name, path) : lines;
}

function quoteOf(fence: Fence): string | undefined {
  return fence.marker?.kind === 'quote' ? fence.marker.source : undefined;
}

/** Quotes that differ from their source, one line each. */
export function staleQuotes(doc: MarkdownDoc, root = REPO_ROOT): string[] {
  const problems: string[] = [];
  for (const fence of doc.fences) {
    const source = quoteOf(fence);
    if (!source) continue;
    try {
      if (quoted(source, root).join('\n') !== fence.body.join('\n'))
        problems.push(
          `${doc.file}:${fence.line}: the quote of ${source} differs from the file (pnpm docs:build)`,
        );
    } catch (err) {
      problems.push(`${doc.file}:${fence.line}: ${(err as Error).message}`);
    }
  }
  return problems;
}

/** The document with every quote rewritten from its source. */
export function withFreshQuotes(doc: MarkdownDoc, root = REPO_ROOT): string {
  const lines = [...doc.lines];
  // From the last block up, so earlier line numbers stay valid.
  for (const fence of [...doc.fences].reverse()) {
    const source = quoteOf(fence);
    if (!source) continue;
    const body = quoted(source, root).map((l) => (l === '' ? '' : fence.indent + l));
    lines.splice(fence.bodyStart, fence.bodyEnd - fence.bodyStart + 1, ...body);
  }
  return lines.join('\n');
}
