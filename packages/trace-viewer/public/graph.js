// The live service graph: services as boxes, caller → callee edges coloured by status, labelled
// with the route, the split share, counts by status class and p50/p90. Drawn as SVG from
// /api/graph, redrawn every second while the graph is shown. No dependencies, no build.

const SVG = 'http://www.w3.org/2000/svg';
const NODE_W = 190;
const NODE_H = 48;
const COL = 390;
const ROW = 130;
const COLOURS = { ok: '#188038', client: '#e37400', server: '#d93025' };

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function edgeColour(e) {
  if (e.status['5xx'] > 0) return COLOURS.server;
  if (e.status['4xx'] > 0) return COLOURS.client;
  return COLOURS.ok;
}

function counts(status) {
  return ['2xx', '3xx', '4xx', '5xx']
    .filter((c) => status[c] > 0)
    .map((c) => `${c} ${status[c]}`)
    .join(' · ');
}

/**
 * Columns by longest path from the callers nobody calls; inside a column, rows follow the callers'
 * rows, then names. Columns share one row grid, so the gaps between rows line up across columns and
 * an edge that skips a column can run through a gap instead of across a box.
 */
function layout(nodes, edges) {
  const depth = new Map(nodes.map((n) => [n.id, 0]));
  for (let pass = 0; pass < nodes.length; pass++) {
    let moved = false;
    for (const e of edges) {
      const d = (depth.get(e.source) ?? 0) + 1;
      if (e.source !== e.target && d > (depth.get(e.target) ?? 0) && d < nodes.length) {
        depth.set(e.target, d);
        moved = true;
      }
    }
    if (!moved) break;
  }
  const columns = [];
  for (const n of nodes) {
    const d = depth.get(n.id) ?? 0;
    columns[d] = [...(columns[d] ?? []), n.id];
  }
  const tallest = Math.max(1, ...columns.map((c) => c?.length ?? 0));
  const row = new Map();
  const at = new Map();
  columns.forEach((ids = [], d) => {
    const callerRow = (id) => {
      const rows = edges.filter((e) => e.target === id && row.has(e.source)).map((e) => row.get(e.source));
      return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : tallest;
    };
    ids.sort((a, b) => callerRow(a) - callerRow(b) || a.localeCompare(b));
    const top = Math.floor((tallest - ids.length) / 2);
    ids.forEach((id, i) => {
      row.set(id, top + i);
      at.set(id, { x: 20 + d * COL, y: TOP + (top + i) * ROW, column: d });
    });
  });
  return { at, tallest, width: 40 + columns.length * COL - (COL - NODE_W), height: TOP + 20 + tallest * ROW };
}

const TOP = 96;
/** y of the gap above row k (k = tallest: below the last row). */
const gapY = (k) => TOP + k * ROW - (ROW - NODE_H) / 2;

function bezierPoint(p0, p1, p2, p3, t) {
  const u = 1 - t;
  return u * u * u * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t * t * t * p3;
}

/** The edge's path and where its label goes. */
function route(from, to, fan, gaps, tallest) {
  const x1 = from.x + NODE_W;
  const y1 = from.y + NODE_H / 2 + fan * 8;
  const x2 = to.x - 2;
  const y2 = to.y + NODE_H / 2 + fan * 8;
  if (to.column - from.column > 1) {
    // Through the free gap nearest the straight line, one lane per edge.
    const want = (y1 + y2) / 2;
    let best = 0;
    for (let k = 0; k <= tallest; k++) {
      const cost = Math.abs(gapY(k) - want) + (gaps.get(k) ?? 0) * ROW;
      if (cost < Math.abs(gapY(best) - want) + (gaps.get(best) ?? 0) * ROW) best = k;
    }
    const lane = gaps.get(best) ?? 0;
    gaps.set(best, lane + 1);
    const y = gapY(best) + lane * 10;
    const xa = x1 + COL - NODE_W - 30;
    const xb = x2 - (COL - NODE_W) + 30;
    return {
      d: `M${x1},${y1} C${x1 + 50},${y1} ${xa - 50},${y} ${xa},${y} L${xb},${y} C${xb + 50},${y} ${x2 - 50},${y2} ${x2},${y2}`,
      // On the lane itself: the gap is taller than the three lines, whose halo hides the line.
      label: { x: (xa + xb) / 2, y: y - 9 },
    };
  }
  const mx = (x1 + x2) / 2;
  const c = [x1, mx, mx, x2];
  const cy = [y1, y1, y2, y2];
  const t = 0.62;
  return {
    d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`,
    label: { x: bezierPoint(...c, t), y: bezierPoint(...cy, t) - 30 },
  };
}

export function drawGraph(target, view) {
  const { at, tallest, width, height } = layout(view.nodes, view.edges);
  const root = svg('svg', {
    id: 'graph-svg',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': 'service graph',
  });
  root.append(
    svg(
      'defs',
      {},
      ...Object.entries(COLOURS).map(([name, colour]) =>
        svg(
          'marker',
          {
            id: `arrow-${name}`,
            viewBox: '0 0 10 10',
            refX: 10,
            refY: 5,
            markerWidth: 10,
            markerHeight: 10,
            markerUnits: 'userSpaceOnUse',
            orient: 'auto',
          },
          svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: colour }),
        ),
      ),
    ),
  );
  // Edges between the same two services (several routes) fan out instead of overlapping.
  const pairIndex = new Map();
  const gaps = new Map();
  const maxRequests = Math.max(1, ...view.edges.map((e) => e.requests));
  const edgeLayer = svg('g', { class: 'edges' });
  const labelLayer = svg('g', { class: 'labels' });
  for (const e of view.edges) {
    const from = at.get(e.source);
    const to = at.get(e.target);
    if (!from || !to) continue;
    const pair = `${e.source}→${e.target}`;
    const fan = pairIndex.get(pair) ?? 0;
    pairIndex.set(pair, fan + 1);
    const { d, label } = route(from, to, fan, gaps, tallest);
    const colour = edgeColour(e);
    const kind = colour === COLOURS.ok ? 'ok' : colour === COLOURS.client ? 'client' : 'server';
    const share = e.share < 1 ? ` · ${(e.share * 100).toFixed(e.share < 0.1 ? 1 : 0)} %` : '';
    const data = {
      'data-source': e.source,
      'data-target': e.target,
      'data-route': e.route,
      'data-requests': e.requests,
      'data-share': e.share,
      'data-2xx': e.status['2xx'],
      'data-4xx': e.status['4xx'],
      'data-5xx': e.status['5xx'],
    };
    edgeLayer.append(
      svg(
        'g',
        { class: `edge ${kind}`, ...data },
        svg(
          'title',
          {},
          `${e.source} → ${e.target} via ${e.route}: ${e.requests} requests (${counts(e.status)})`,
        ),
        svg('path', {
          d,
          fill: 'none',
          stroke: colour,
          'stroke-width': (1.5 + 5 * Math.sqrt(e.requests / maxRequests)).toFixed(1),
          'stroke-dasharray': kind === 'ok' ? '' : '7 4',
          'marker-end': `url(#arrow-${kind})`,
        }),
      ),
    );
    const y = label.y + fan * 40;
    labelLayer.append(
      svg(
        'g',
        { class: `edge-labels ${kind}`, ...data },
        svg('text', { x: label.x, y, class: 'edge-label route' }, `${e.route}${share}`),
        svg(
          'text',
          { x: label.x, y: y + 13, class: `edge-label counts ${kind}` },
          `${e.requests} req · ${counts(e.status)}`,
        ),
        svg(
          'text',
          { x: label.x, y: y + 26, class: 'edge-label latency' },
          `p50 ${e.p50Ms} ms · p90 ${e.p90Ms} ms`,
        ),
      ),
    );
  }
  const nodeLayer = svg('g', { class: 'nodes' });
  for (const n of view.nodes) {
    const p = at.get(n.id);
    const errors = n.inbound['5xx'] > 0 ? 'server' : n.inbound['4xx'] > 0 ? 'client' : 'ok';
    const answered = counts(n.inbound);
    nodeLayer.append(
      svg(
        'g',
        { class: `node ${errors}`, 'data-id': n.id, transform: `translate(${p.x},${p.y})` },
        svg('rect', { width: NODE_W, height: NODE_H, rx: 8 }),
        svg('text', { x: NODE_W / 2, y: answered ? 20 : 29, class: 'node-name' }, n.id),
        answered ? svg('text', { x: NODE_W / 2, y: 37, class: 'node-counts' }, `in: ${answered}`) : '',
      ),
    );
  }
  // Boxes over lines, labels over everything.
  root.append(edgeLayer, nodeLayer, labelLayer);
  target.replaceChildren(root);
  // A light card behind each label (sized once drawn), so lines never run through the text.
  for (const group of labelLayer.children) {
    const box = group.getBBox();
    group.prepend(
      svg('rect', {
        x: box.x - 4,
        y: box.y - 2,
        width: box.width + 8,
        height: box.height + 4,
        rx: 4,
        class: 'label-card',
      }),
    );
  }
}

export async function refreshGraph(target, status) {
  try {
    const res = await fetch('/api/graph', { cache: 'no-store' });
    const view = await res.json();
    const total = view.edges.reduce((a, e) => a + e.requests, 0);
    status.textContent = `last ${view.windowSeconds / 60} min · ${total} requests between ${view.nodes.length} services · updated ${new Date(view.generatedAt).toLocaleTimeString()}`;
    if (view.edges.length === 0) {
      target.replaceChildren(
        Object.assign(document.createElement('p'), {
          className: 'muted',
          textContent:
            'No calls between services in the last 5 minutes: curl a demo (pnpm start prints them).',
        }),
      );
      return;
    }
    drawGraph(target, view);
  } catch (err) {
    status.textContent = `viewer unreachable: ${err.message}`;
  }
}
