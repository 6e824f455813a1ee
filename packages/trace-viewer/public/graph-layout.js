// Where the service graph's boxes, edges and labels go. Sizes are measured here (the page's font);
// graph-worker.js places them with dagre, off the page's main thread. Sizes only grow and step by
// SIZE_STEP, and an unchanged graph keeps its layout, so positions hold still while counts tick.

export const NODE_H = 46;
export const LABEL_H = 62;
export const LABEL_PAD = 7;
const SIZE_STEP = 16;
const NODE_MIN_W = 140;

const canvas = document.createElement('canvas').getContext('2d');
// The page's font, read once: asking for a computed style per measured text costs a style pass each.
let fontFamily;
const family = () => {
  fontFamily ??= getComputedStyle(document.documentElement).fontFamily || 'sans-serif';
  return fontFamily;
};

const measured = new Map();

/**
 * Width of `text` in the given CSS font (weight, px), as the SVG will draw it. Remembered: the
 * same names and templates are measured on every redraw (and setting a canvas font costs a parse).
 */
export function textWidth(text, px, weight = 400) {
  const font = `${weight} ${px}px ${family()}`;
  const key = `${font}\n${text}`;
  let width = measured.get(key);
  if (width === undefined) {
    if (canvas.font !== font) canvas.font = font;
    width = canvas.measureText(text).width;
    if (measured.size > 5000) measured.clear();
    measured.set(key, width);
  }
  return width;
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
// Counts are measured as if each had six digits (a 5-minute window at 1000 requests a second):
// a count that grows moves nothing; only a status class that appears can widen a box.
const SIX = 999999;
const wideStatus = (status) =>
  Object.fromEntries(Object.entries(status).map(([c, n]) => [c, n > 0 ? SIX : 0]));
const wideCounts = (e) => `${SIX} req · ${counts(wideStatus(e.status))}`;

/**
 * Sizes by node id and edge key, from names and from which status classes occur (not from how
 * many): they only grow, so redraws do not shuffle.
 */
export class GraphLayout {
  nodeW = new Map();
  labelW = new Map();
  last = { signature: '', placed: undefined };

  nodeWidth(n) {
    const inbound = nodeCounts({ inbound: wideStatus(n.inbound) });
    const w = Math.max(NODE_MIN_W, textWidth(n.id, 14, 600) + 24, textWidth(inbound, 11) + 20);
    const grown = Math.max(this.nodeW.get(n.id) ?? 0, step(w));
    this.nodeW.set(n.id, grown);
    return grown;
  }

  labelWidth(e) {
    const w =
      Math.max(textWidth(labelLines(e).route, 12, 600), textWidth(wideCounts(e), 12), LATENCY_W()) +
      2 * LABEL_PAD;
    const key = edgeKey(e);
    const grown = Math.max(this.labelW.get(key) ?? 0, step(w));
    this.labelW.set(key, grown);
    return grown;
  }

  /** Boxes and paths for these nodes and edges; the previous ones when nothing that places them changed. */
  async place(nodes, edges) {
    const sized = {
      nodes: nodes.map((n) => [n.id, this.nodeWidth(n)]),
      edges: edges.map((e) => [e.source, e.target, e.route, this.labelWidth(e)]),
      nodeHeight: NODE_H,
      labelHeight: LABEL_H,
    };
    const signature = JSON.stringify(sized);
    if (signature !== this.last.signature) this.last = { signature, placed: await placeInWorker(sized) };
    return this.last.placed;
  }
}

// A layout of 40 services takes dagre tens of milliseconds, more on a busy machine: a worker does it.
let worker;
let asked = 0;
const waiting = new Map();

function placeInWorker(sized) {
  if (!worker) {
    worker = new Worker('/graph-worker.js', { type: 'module' });
    worker.onmessage = ({ data }) => {
      waiting.get(data.id)?.(data.placed);
      waiting.delete(data.id);
    };
  }
  const id = ++asked;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    worker.postMessage({ id, sized });
  });
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
