// Where the service graph's boxes, edges and labels go. dagre (a layered "Sugiyama" layout, served
// by the viewer from its own dependencies) ranks services left to right by call depth, routes long
// edges through gaps between boxes, and places each edge's label as a box of its own in the layout,
// so labels keep off services and off each other. Sizes only grow and step by SIZE_STEP, and an
// unchanged graph keeps its layout, so positions hold still while counts tick.

import { graphlib, layout } from '/vendor/dagre.js';

export const NODE_H = 46;
export const LABEL_H = 62;
export const LABEL_PAD = 7;
const SIZE_STEP = 16;
const NODE_MIN_W = 140;

const canvas = document.createElement('canvas').getContext('2d');
const family = () => getComputedStyle(document.documentElement).fontFamily || 'sans-serif';

/** Width of `text` in the given CSS font (weight, px), as the SVG will draw it. */
export function textWidth(text, px, weight = 400) {
  canvas.font = `${weight} ${px}px ${family()}`;
  return canvas.measureText(text).width;
}

/** Milliseconds in at most four characters, so a label's width does not follow its latency. */
export function formatMs(ms) {
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 10) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(1)} ms`;
}

export function edgeKey(e) {
  return JSON.stringify([e.source, e.target, e.route]);
}

/** The three lines of an edge's label. */
export function labelLines(e) {
  const share = e.share < 1 ? ` · ${(e.share * 100).toFixed(e.share < 0.1 ? 1 : 0)} %` : '';
  return {
    route: `${e.route}${share}`,
    counts: `${e.requests} req · ${counts(e.status)}`,
    latency: `p50 ${formatMs(e.p50Ms)} · p90 ${formatMs(e.p90Ms)}`,
  };
}

export function counts(status) {
  return ['2xx', '3xx', '4xx', '5xx']
    .filter((c) => status[c] > 0)
    .map((c) => `${c} ${status[c]}`)
    .join(' · ');
}

export function nodeCounts(n) {
  const answered = counts(n.inbound);
  return answered ? `in: ${answered}` : '';
}

const step = (w) => Math.ceil(w / SIZE_STEP) * SIZE_STEP;
// The widest latency line formatMs can write: reserved, so latencies never move a label.
const LATENCY_W = () => textWidth('p50 00.0 ms · p90 00.0 ms', 12);

/** Sizes seen so far, by node id and edge key: they only grow, so redraws do not shuffle. */
export class GraphLayout {
  nodeW = new Map();
  labelW = new Map();
  last = { signature: '', placed: undefined };

  nodeWidth(n) {
    const w = Math.max(NODE_MIN_W, textWidth(n.id, 14, 600) + 24, textWidth(nodeCounts(n), 11) + 20);
    const grown = Math.max(this.nodeW.get(n.id) ?? 0, step(w));
    this.nodeW.set(n.id, grown);
    return grown;
  }

  labelWidth(e) {
    const lines = labelLines(e);
    const w =
      Math.max(textWidth(lines.route, 12, 600), textWidth(lines.counts, 12), LATENCY_W()) + 2 * LABEL_PAD;
    const key = edgeKey(e);
    const grown = Math.max(this.labelW.get(key) ?? 0, step(w));
    this.labelW.set(key, grown);
    return grown;
  }

  /** Boxes and paths for these nodes and edges; the previous ones when nothing that places them changed. */
  place(nodes, edges) {
    const sized = {
      nodes: nodes.map((n) => [n.id, this.nodeWidth(n)]),
      edges: edges.map((e) => [e.source, e.target, e.route, this.labelWidth(e)]),
    };
    const signature = JSON.stringify(sized);
    if (signature !== this.last.signature) this.last = { signature, placed: dagreLayout(sized) };
    return this.last.placed;
  }
}

function dagreLayout({ nodes, edges }) {
  const g = new graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'LR', ranksep: 36, nodesep: 22, edgesep: 14, marginx: 14, marginy: 14 });
  for (const [id, width] of nodes) g.setNode(id, { width, height: NODE_H });
  for (const [source, target, route, width] of edges)
    g.setEdge(source, target, { width, height: LABEL_H, labelpos: 'c' }, route);
  layout(g);
  const placed = { nodes: new Map(), edges: new Map(), width: 0, height: 0 };
  for (const id of g.nodes()) {
    const { x, y, width, height } = g.node(id);
    placed.nodes.set(id, { x: x - width / 2, y: y - height / 2, width, height });
  }
  for (const ref of g.edges()) {
    const e = g.edge(ref);
    const label = { x: e.x - e.width / 2, y: e.y - e.height / 2, width: e.width, height: e.height };
    placed.edges.set(JSON.stringify([ref.v, ref.w, ref.name]), { points: e.points, label });
  }
  const { width, height } = g.graph();
  placed.width = Math.ceil(width);
  placed.height = Math.ceil(height);
  return placed;
}

/** A smooth path through dagre's points (the B-spline dagre's own renderers draw). */
export function splinePath(points) {
  const [first, ...rest] = points;
  if (!first) return '';
  if (rest.length === 0) return `M${first.x},${first.y}`;
  const d = [`M${first.x},${first.y}`];
  const all = [first, ...rest];
  for (let i = 1; i < all.length; i++) {
    const p0 = all[i - 1];
    const p1 = all[i];
    const p2 = all[i + 1] ?? p1;
    if (i === 1) d.push(`L${(5 * p0.x + p1.x) / 6},${(5 * p0.y + p1.y) / 6}`);
    d.push(
      `C${(2 * p0.x + p1.x) / 3},${(2 * p0.y + p1.y) / 3} ${(p0.x + 2 * p1.x) / 3},${(p0.y + 2 * p1.y) / 3} ${(p0.x + 4 * p1.x + p2.x) / 6},${(p0.y + 4 * p1.y + p2.y) / 6}`,
    );
  }
  const last = all.at(-1);
  d.push(`L${last.x},${last.y}`);
  return d.join(' ');
}
