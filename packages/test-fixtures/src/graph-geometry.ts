// The service graph as Chromium drew it: boxes of services, of their names and of edge labels, in
// page pixels. The page tests (trace-viewer's graph page, docs-check's pictures) judge
// readability on these.
import type { Page } from 'playwright-core';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DrawnGraph {
  svg: Box;
  /** `colour`: as Chromium computed it (the stylesheet's and the script's colours both count). */
  nodes: {
    id: string;
    kind: string;
    box: Box;
    name: { text: string; box: Box };
    counts: string;
    colour: string;
  }[];
  labels: {
    source: string;
    target: string;
    route: string;
    kind: string;
    box: Box;
    lines: string[];
    colour: string;
  }[];
  edges: {
    source: string;
    target: string;
    route: string;
    kind: string;
    colour: string;
    dashed: boolean;
    /** The arrowhead's fill ('none' when it is not drawn). */
    arrow: string;
  }[];
}

/** Reads the drawn graph (`#graph-svg`) from the page. */
export function drawnGraph(page: Page): Promise<DrawnGraph> {
  // Runs in the page (DOM types are not this package's: Node's fetch types clash with them).
  return page.evaluate(() => {
    const doc = (globalThis as any).document;
    const box = (el: any): Box => {
      const r = el.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    };
    const all = (root: any, selector: string): any[] => [...root.querySelectorAll(selector)];
    const style = (el: any) => (globalThis as any).getComputedStyle(el);
    const svg = doc.getElementById('graph-svg');
    const kind = (g: any): string =>
      [...g.classList].find((c) => !['edge', 'edge-labels', 'node', 'selected'].includes(c as string)) ?? '';
    const names = (g: any) => ({
      source: g.dataset.source ?? '',
      target: g.dataset.target ?? '',
      route: g.dataset.route ?? '',
      kind: kind(g),
    });
    return {
      svg: box(svg),
      nodes: all(svg, '.node').map((g) => {
        const name = g.querySelector('.node-name');
        return {
          id: g.dataset.id ?? '',
          kind: kind(g),
          box: box(g.querySelector('rect')),
          name: { text: name.textContent ?? '', box: box(name) },
          counts: g.querySelector('.node-counts')?.textContent ?? '',
          colour: style(g.querySelector('rect')).stroke,
        };
      }),
      labels: all(svg, '.edge-labels').map((g) => ({
        ...names(g),
        box: box(g.querySelector('.label-card')),
        lines: all(g, 'text').map((t) => t.textContent ?? ''),
        colour: style(g.querySelector('.counts')).fill,
      })),
      edges: all(svg, '.edge').map((g) => {
        const line = style(g.querySelector('.line'));
        const arrow = g.querySelector('.arrow');
        return {
          ...names(g),
          colour: line.stroke,
          dashed: line.strokeDasharray !== 'none',
          arrow: arrow ? style(arrow).fill : 'none',
        };
      }),
    };
  });
}

const intersect = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
const inside = (a: Box, b: Box) =>
  a.x >= b.x - 0.5 &&
  a.y >= b.y - 0.5 &&
  a.x + a.width <= b.x + b.width + 0.5 &&
  a.y + a.height <= b.y + b.height + 0.5;

/**
 * What makes the graph hard to read, in words: a label on a service or on another label (labels are
 * drawn over services, so that would cover a name), a service on another, a name cut or outside
 * its box, a drawing of infinite or no size. Empty when readable.
 */
export function readabilityProblems(g: DrawnGraph): string[] {
  const problems: string[] = [];
  const label = (l: DrawnGraph['labels'][number]) => `label ${l.source} → ${l.target} (${l.route})`;
  for (const [i, l] of g.labels.entries()) {
    for (const n of g.nodes) if (intersect(l.box, n.box)) problems.push(`${label(l)} lies on ${n.id}`);
    for (const m of g.labels.slice(i + 1))
      if (intersect(l.box, m.box)) problems.push(`${label(l)} lies on ${label(m)}`);
  }
  for (const [i, n] of g.nodes.entries()) {
    if (n.name.text !== n.id) problems.push(`${n.id}'s name reads "${n.name.text}"`);
    if (!inside(n.name.box, n.box)) problems.push(`${n.id}'s name sticks out of its box`);
    if (!inside(n.name.box, g.svg)) problems.push(`${n.id}'s name is outside the drawing`);
    for (const m of g.nodes.slice(i + 1))
      if (intersect(n.box, m.box)) problems.push(`${n.id} lies on ${m.id}`);
  }
  const { width, height } = g.svg;
  if (!(Number.isFinite(width) && Number.isFinite(height) && width > 0 && height > 0))
    problems.push(`the drawing is ${width} × ${height} px`);
  return problems;
}
