// The live service graph: services as boxes, caller → callee edges coloured by status, each edge
// labelled with its route, split share, counts by status class (and a bar of their shares: errors
// stand out in orange and red, as in Kiali) and p50/p90. Placed by graph-layout.js, drawn as SVG
// from /api/graph, redrawn every second while shown. Click an edge or a service for its traces.

import {
  counts,
  edgeKey,
  GraphLayout,
  LABEL_PAD,
  labelLines,
  nodeCounts,
  splinePath,
} from './graph-layout.js';
import { selectionFromHash, showTraces } from './graph-traces.js';

const SVG = 'http://www.w3.org/2000/svg';
const COLOURS = { ok: '#188038', redirect: '#80868b', client: '#e37400', server: '#d93025' };
const SHARE_COLOURS = {
  '2xx': COLOURS.ok,
  '3xx': COLOURS.redirect,
  '4xx': COLOURS.client,
  '5xx': COLOURS.server,
};

/**
 * What one page draws at most: the busiest edges, and the services they touch. The server keeps up
 * to 1000 edges over its window (hostile exports included); a layout of all of them would hold the
 * page for seconds and draw a picture nobody can read. The status line says what was left out.
 */
export const DRAW_LIMITS = { edges: 40, nodes: 30 };

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function kindOf(status) {
  if (status['5xx'] > 0) return 'server';
  if (status['4xx'] > 0) return 'client';
  return 'ok';
}

/** The busiest edges within DRAW_LIMITS, in the server's order (so the layout's input is stable). */
export function boundedView(view) {
  const byTraffic = [...view.edges].sort((a, b) => b.requests - a.requests);
  const keep = new Set();
  const nodes = new Set();
  for (const e of byTraffic) {
    if (keep.size >= DRAW_LIMITS.edges) break;
    const added = [e.source, e.target].filter((id) => !nodes.has(id));
    if (nodes.size + new Set(added).size > DRAW_LIMITS.nodes) continue;
    for (const id of added) nodes.add(id);
    keep.add(e);
  }
  return {
    nodes: view.nodes.filter((n) => nodes.has(n.id)),
    edges: view.edges.filter((e) => keep.has(e)),
    leftOut: { edges: view.edges.length - keep.size, nodes: view.nodes.length - nodes.size },
  };
}

/**
 * The arrowhead at the line's end, as a shape of the edge's own (not an SVG marker): it takes the
 * edge's colour, and even a straight level edge has an area to click and to see.
 */
function arrowhead(points, colour) {
  const end = points.at(-1);
  const from = points.at(-2) ?? end;
  const a = Math.atan2(end.y - from.y, end.x - from.x);
  const at = (len, turn) => `${end.x - len * Math.cos(a + turn)},${end.y - len * Math.sin(a + turn)}`;
  return svg('path', {
    d: `M${end.x},${end.y} L${at(11, 0.42)} L${at(11, -0.42)} z`,
    fill: colour,
    class: 'arrow',
  });
}

function edgeData(e) {
  return {
    'data-source': e.source,
    'data-target': e.target,
    'data-route': e.route,
    'data-requests': e.requests,
    'data-share': e.share,
    'data-2xx': e.status['2xx'],
    'data-4xx': e.status['4xx'],
    'data-5xx': e.status['5xx'],
  };
}

function drawEdge(e, at, maxRequests) {
  const kind = kindOf(e.status);
  const d = splinePath(at.points);
  return svg(
    'g',
    { class: `edge ${kind}`, ...edgeData(e) },
    svg(
      'title',
      {},
      `${e.source} → ${e.target} via ${e.route}: ${e.requests} requests (${counts(e.status)})`,
    ),
    // A wide invisible twin of the line: easy to click.
    svg('path', { d, class: 'hit' }),
    svg('path', {
      d,
      class: 'line',
      stroke: COLOURS[kind],
      'stroke-width': (1.5 + 5 * Math.sqrt(e.requests / maxRequests)).toFixed(1),
      'stroke-dasharray': kind === 'ok' ? '' : '7 4',
    }),
    arrowhead(at.points, COLOURS[kind]),
  );
}

/** The label's card, its three lines and a bar of the status classes' shares. */
function drawLabel(e, box) {
  const kind = kindOf(e.status);
  const lines = labelLines(e);
  const x = box.x + LABEL_PAD;
  const bar = [];
  let left = box.x + LABEL_PAD;
  const width = box.width - 2 * LABEL_PAD;
  for (const [c, colour] of Object.entries(SHARE_COLOURS)) {
    if (!e.status[c]) continue;
    const w = (width * e.status[c]) / e.requests;
    bar.push(
      svg('rect', { x: left, y: box.y + box.height - 10, width: w, height: 4, fill: colour, class: c }),
    );
    left += w;
  }
  return svg(
    'g',
    { class: `edge-labels ${kind}`, ...edgeData(e) },
    svg('rect', { ...box, rx: 4, class: 'label-card' }),
    svg('text', { x, y: box.y + 17, class: 'edge-label route' }, lines.route),
    svg('text', { x, y: box.y + 31, class: `edge-label counts ${kind}` }, lines.counts),
    svg('text', { x, y: box.y + 45, class: 'edge-label latency' }, lines.latency),
    svg('g', { class: 'share-bar' }, ...bar),
  );
}

function drawNode(n, box) {
  const inbound = nodeCounts(n);
  const cx = box.x + box.width / 2;
  return svg(
    'g',
    { class: `node ${kindOf(n.inbound)}`, 'data-id': n.id },
    svg('title', {}, `${n.id}: click for its recent traces`),
    svg('rect', { ...box, rx: 8 }),
    svg('text', { x: cx, y: box.y + (inbound ? 19 : 28), class: 'node-name' }, n.id),
    inbound ? svg('text', { x: cx, y: box.y + 36, class: 'node-counts' }, inbound) : '',
  );
}

const layoutMemory = new GraphLayout();

/** A wide graph shrinks to the width it has, down to this scale (smaller text is no longer read). */
const MIN_SCALE = 0.7;

/** What was drawn last (the bounded view and the selection): the same again is not redrawn. */
let drawn = '';

/**
 * Draws the (bounded) view. Placing and drawing run as separate tasks, so that neither holds the
 * page long; an unchanged view is not drawn again.
 */
async function drawGraph(target, view, selection) {
  const key = JSON.stringify([view.nodes, view.edges, selection, target.clientWidth]);
  if (key === drawn && target.querySelector('#graph-svg')) return;
  drawn = key;
  const placed = await layoutMemory.place(view.nodes, view.edges);
  const room = target.clientWidth || placed.width;
  const scale = Math.max(MIN_SCALE, Math.min(1, room / placed.width));
  const root = svg('svg', {
    id: 'graph-svg',
    width: Math.round(placed.width * scale),
    height: Math.round(placed.height * scale),
    viewBox: `0 0 ${placed.width} ${placed.height}`,
    role: 'img',
    'aria-label': 'service graph',
  });
  const maxRequests = Math.max(1, ...view.edges.map((e) => e.requests));
  const edges = svg('g', { class: 'edges' });
  const labels = svg('g', { class: 'labels' });
  for (const e of view.edges) {
    const at = placed.edges.get(edgeKey(e));
    if (!at) continue;
    edges.append(drawEdge(e, at, maxRequests));
    labels.append(drawLabel(e, at.label));
  }
  const nodes = svg('g', { class: 'nodes' });
  for (const n of view.nodes) {
    const box = placed.nodes.get(n.id);
    if (box) nodes.append(drawNode(n, box));
  }
  root.append(edges, nodes, labels);
  markSelected(root, selection);
  target.replaceChildren(root);
}

function markSelected(root, selection) {
  if (!selection) return;
  const matches =
    'node' in selection
      ? [...root.querySelectorAll('.node')].filter((g) => g.dataset.id === selection.node)
      : [...root.querySelectorAll('.edge, .edge-labels')].filter(
          (g) =>
            g.dataset.source === selection.source &&
            g.dataset.target === selection.target &&
            (selection.route === undefined || g.dataset.route === selection.route),
        );
  for (const g of matches) g.classList.add('selected');
}

function statusLine(view, bounded) {
  const total = view.edges.reduce((a, e) => a + e.requests, 0);
  const parts = [
    `last ${view.windowSeconds / 60} min · ${total} requests between ${view.nodes.length} services`,
  ];
  const { edges, nodes } = bounded.leftOut;
  if (edges > 0 || nodes > 0)
    parts.push(
      `drawn: the ${bounded.edges.length} busiest of ${view.edges.length} edges and ${bounded.nodes.length} of ${view.nodes.length} services (every one is in /api/graph)`,
    );
  if (view.droppedHops > 0)
    parts.push(`${view.droppedHops} hops not counted: the window already held ${view.maxEdges} edges`);
  parts.push(`updated ${new Date(view.generatedAt).toLocaleTimeString()}`);
  return parts.join(' · ');
}

const nextTask = () => new Promise((resolve) => setTimeout(resolve));

/** Which edge or service the page lists traces for (from the address, so it can be linked). */
let selection;

function select(next) {
  selection = next;
  const params = new URLSearchParams(Object.entries(next).filter(([, v]) => v !== undefined));
  history.replaceState(null, '', `${location.pathname}${location.search}#graph?${params}`);
}

export async function refreshGraph(target, status, panel) {
  selection = selectionFromHash();
  try {
    const res = await fetch('/api/graph', { cache: 'no-store' });
    const view = await res.json();
    // Reading up to 1000 edges, placing the busiest and drawing them are separate tasks.
    await nextTask();
    const bounded = boundedView(view);
    status.textContent = statusLine(view, bounded);
    if (view.edges.length === 0) {
      target.replaceChildren(
        Object.assign(document.createElement('p'), {
          className: 'muted',
          textContent:
            'No calls between services in the last 5 minutes: curl a demo (pnpm start prints them).',
        }),
      );
    } else await drawGraph(target, { ...view, ...bounded }, selection);
    await showTraces(panel, selection);
  } catch (err) {
    status.textContent = `viewer unreachable: ${err.message}`;
  }
}

/** Clicks on the drawing select an edge (line or label) or a service, and list its traces. */
export function listenForClicks(target, panel) {
  target.addEventListener('click', (event) => {
    const hit = event.target.closest('.edge, .edge-labels, .node');
    if (!hit) return;
    const d = hit.dataset;
    select(
      hit.classList.contains('node')
        ? { node: d.id }
        : { source: d.source, target: d.target, route: d.route },
    );
    for (const g of target.querySelectorAll('.selected')) g.classList.remove('selected');
    markSelected(target, selection);
    showTraces(panel, selection);
  });
}
