// The trace viewer page: recent traces on the left, one trace as a waterfall on the right.
// Plain browser JavaScript, no build and no dependencies. Every text from a span goes through
// textContent (span names carry request paths: never trust them as HTML).

import { listenForClicks, refreshGraph } from './graph.js';

const list = document.getElementById('traces');
const view = document.getElementById('trace');
const status = document.getElementById('status');
let current = new URLSearchParams(location.search).get('trace');

/**
 * What one trace draws at most. The store keeps up to 2000 spans per trace; a table of them all holds
 * the page for a third of a second, and a list line naming every service runs for screens. What is
 * left out is said, and the API still has all of it.
 */
const DRAW_LIMITS = { rows: 400, servicesPerTrace: 8 };
let shownSpanCount = -1;

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value;
    else if (key === 'style') Object.assign(node.style, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children)
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

/** A stable colour per service name, so one service looks the same in every trace. */
function serviceColour(name) {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return `hsl(${hash % 360} 55% 42%)`;
}

function formatMs(ms) {
  return ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(ms >= 10 ? 1 : 2)} ms`;
}

/** Parent before children, siblings by start; orphans (parent not in this trace) start a subtree. */
function treeOrder(spans) {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map();
  const roots = [];
  for (const span of [...spans].sort((a, b) => a.startMs - b.startMs)) {
    if (span.parentSpanId && ids.has(span.parentSpanId)) {
      if (!children.has(span.parentSpanId)) children.set(span.parentSpanId, []);
      children.get(span.parentSpanId).push(span);
    } else roots.push(span);
  }
  const rows = [];
  const seen = new Set();
  const visit = (span, depth) => {
    if (seen.has(span.spanId)) return;
    seen.add(span.spanId);
    rows.push({ span, depth });
    for (const child of children.get(span.spanId) ?? []) visit(child, depth + 1);
  };
  for (const root of roots) visit(root, 0);
  return rows;
}

async function getJson(url) {
  const res = await fetch(url, { cache: 'no-store' });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `${res.status}`);
  return body;
}

async function refreshList() {
  // The list is not shown with the graph: no need to fetch and draw it then.
  if (main.hidden) return;
  try {
    const { traces } = await getJson('/api/traces?limit=100');
    status.textContent = `${traces.length} recent trace${traces.length === 1 ? '' : 's'}`;
    if (traces.length === 0) return;
    list.replaceChildren(
      ...traces.map((t) =>
        el(
          'button',
          { type: 'button', 'aria-current': String(t.traceId === current), onclick: () => select(t.traceId) },
          el('div', { class: 'title' }, `${t.rootService}: ${t.rootName}`),
          el(
            'div',
            { class: 'meta' },
            `${formatMs(t.durationMs)} · ${t.spanCount} spans · ${new Date(t.startMs).toLocaleTimeString()}`,
            t.errorCount > 0
              ? el('span', { class: 'err' }, ` · ${t.errorCount} error${t.errorCount > 1 ? 's' : ''}`)
              : '',
          ),
          el('div', { class: 'meta' }, servicesLine(t.services)),
        ),
      ),
    );
    const shown = traces.find((t) => t.traceId === current);
    // Spans of a trace arrive from each service separately: redraw while more come in.
    if (shown && shown.spanCount !== shownSpanCount) await showTrace(current);
  } catch (err) {
    status.textContent = `viewer unreachable: ${err.message}`;
  }
}

function select(traceId) {
  current = traceId;
  history.replaceState(null, '', `?trace=${traceId}`);
  for (const button of list.querySelectorAll('button')) button.setAttribute('aria-current', 'false');
  showTrace(traceId).then(refreshList);
}

async function showTrace(traceId) {
  let trace;
  try {
    trace = await getJson(`/api/traces/${encodeURIComponent(traceId)}`);
  } catch (err) {
    shownSpanCount = -1;
    view.replaceChildren(el('p', { class: 'muted' }, `Trace ${traceId}: ${err.message}`));
    return;
  }
  shownSpanCount = trace.spans.length;
  const t0 = Math.min(...trace.spans.map((s) => s.startMs));
  const t1 = Math.max(...trace.spans.map((s) => s.startMs + s.durationMs));
  const total = Math.max(t1 - t0, 0.001);
  const all = treeOrder(trace.spans);
  const rows = all.slice(0, DRAW_LIMITS.rows);
  const body = el('tbody');
  for (const { span, depth } of rows) {
    const error = span.status.code === 'error';
    const left = ((span.startMs - t0) / total) * 100;
    const width = Math.max((span.durationMs / total) * 100, 0.3);
    const row = el(
      'tr',
      { class: `row${error ? ' error' : ''}`, 'data-span-id': span.spanId },
      el(
        'td',
        { class: 'label-cell', style: { paddingLeft: `${0.25 + depth * 1.1}rem` }, title: span.name },
        serviceChip(span.serviceName),
        el('span', { class: 'name' }, span.name),
        el('span', { class: 'kind' }, span.kind),
        // Moved or clipped into its parent by the viewer (clock skew): say so, never silently.
        span.adjusted ? el('span', { class: 'skew', title: span.adjusted.reason }, '⟲') : '',
      ),
      el(
        'td',
        {},
        el(
          'div',
          { class: 'track' },
          el('div', {
            class: `bar${error ? ' error' : ''}`,
            style: {
              left: `${left}%`,
              width: `${Math.min(width, 100 - left)}%`,
              // Error bars are red (from the stylesheet); the others take their service's colour.
              ...(error ? {} : { background: serviceColour(span.serviceName) }),
            },
            title: error ? `error: ${span.status.message ?? ''}` : span.status.code,
          }),
        ),
      ),
      el('td', { class: 'dur' }, formatMs(span.durationMs)),
    );
    row.addEventListener('click', () => toggleDetails(row, span));
    body.append(row);
  }
  view.replaceChildren(
    el('h2', {}, `Trace ${trace.traceId}`),
    el(
      'p',
      { class: 'muted' },
      `${formatMs(total)} · ${trace.spans.length} spans · click a span for its attributes${adjustedNote(trace.spans)}${leftOutNote(all.length, rows.length, trace.traceId)}`,
    ),
    el(
      'table',
      { class: 'waterfall' },
      el('colgroup', {}, el('col', { class: 'label' }), el('col'), el('col', { class: 'dur' })),
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', {}, 'service · span'),
          el('th', {}, 'time'),
          el('th', { class: 'dur' }, 'duration'),
        ),
      ),
      body,
    ),
  );
}

/** The service's name, linking to it in the graph (sidecars are folded into their service there). */
function serviceChip(serviceName) {
  const node = serviceName.replace(/ sidecar$/, '');
  return el(
    'a',
    {
      class: 'service',
      href: `#graph?${new URLSearchParams({ node })}`,
      title: `${node} in the service graph`,
      style: { background: serviceColour(serviceName) },
      // The row's own click opens the span's details; the chip goes to the graph instead.
      onclick: (event) => event.stopPropagation(),
    },
    serviceName,
  );
}

function servicesLine(services) {
  const shown = services.slice(0, DRAW_LIMITS.servicesPerTrace).join(' → ');
  const more = services.length - DRAW_LIMITS.servicesPerTrace;
  return more > 0 ? `${shown} → … (${more} more)` : shown;
}

function leftOutNote(total, drawn, traceId) {
  return total > drawn ? ` · the first ${drawn} drawn (all ${total}: /api/traces/${traceId})` : '';
}

function adjustedNote(spans) {
  const n = spans.filter((s) => s.adjusted).length;
  return n === 0 ? '' : ` · ${n} drawn adjusted for clock skew (⟲: hover or click for raw times)`;
}

function toggleDetails(row, span) {
  const next = row.nextElementSibling;
  if (next?.classList.contains('details')) {
    next.remove();
    row.classList.remove('open');
    return;
  }
  row.classList.add('open');
  const entries = [
    ['status', span.status.message ? `${span.status.code}: ${span.status.message}` : span.status.code],
    ['span id', span.spanId],
    ['parent span id', span.parentSpanId ?? '(root)'],
    ['start', new Date(span.startMs).toISOString()],
    ...(span.adjusted
      ? [
          ['adjusted', span.adjusted.reason],
          ['raw start', new Date(span.adjusted.rawStartMs).toISOString()],
          ['raw duration', formatMs(span.adjusted.rawDurationMs)],
        ]
      : []),
    ...Object.entries(span.attributes)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]),
  ];
  const table = el(
    'table',
    {},
    ...entries.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', { class: 'v' }, v))),
  );
  row.after(el('tr', { class: 'details' }, el('td', { colspan: '3' }, table)));
}

// Two views: the trace list + waterfall, and the live service graph (#graph).
const main = document.querySelector('main');
const graphView = document.getElementById('graph-view');
const graphTarget = document.getElementById('graph');
const graphPanel = document.getElementById('graph-traces');
listenForClicks(graphTarget, graphPanel);
let graphTimer;
function showView() {
  const graph = location.hash.startsWith('#graph');
  main.hidden = graph;
  graphView.hidden = !graph;
  document.getElementById('tab-graph').setAttribute('aria-current', String(graph));
  document.getElementById('tab-traces').setAttribute('aria-current', String(!graph));
  clearInterval(graphTimer);
  if (graph) {
    const draw = () => refreshGraph(graphTarget, document.getElementById('graph-status'), graphPanel);
    draw();
    graphTimer = setInterval(draw, 1000);
  }
}
window.addEventListener('hashchange', () => {
  showView();
  if (!main.hidden) refreshList();
});
showView();

if (current) await showTrace(current);
await refreshList();
setInterval(refreshList, 2000);
