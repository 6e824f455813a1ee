// From the graph to the traces behind it: the recent traces through the selected edge or service
// (GET /api/graph/traces), each with the hop's status, opening in the waterfall.

/** `#graph?source=A&target=B&route=R` or `#graph?node=A`: what is selected, if anything. */
export function selectionFromHash() {
  const [, query = ''] = location.hash.split('?');
  const p = new URLSearchParams(query);
  if (p.has('node')) return { node: p.get('node') };
  if (p.has('source') && p.has('target'))
    return { source: p.get('source'), target: p.get('target'), route: p.get('route') ?? undefined };
  return undefined;
}

function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children.filter((c) => c !== ''));
  return node;
}

function title(selection) {
  if ('node' in selection) return `Recent traces through ${selection.node}`;
  const via = selection.route ? ` via ${selection.route}` : '';
  return `Recent traces ${selection.source} → ${selection.target}${via}`;
}

function statusClass(status) {
  return status >= 500 ? 'server' : status >= 400 ? 'client' : 'ok';
}

function item(t) {
  const hop = `${t.source} → ${t.target} · ${t.durationMs.toFixed(1)} ms · ${new Date(t.startMs).toLocaleTimeString()}`;
  const chip = el('span', `status ${statusClass(t.status)}`, String(t.status));
  if (!t.trace) {
    return el(
      'li',
      'graph-trace gone',
      chip,
      el('span', 'meta', `${hop} · no longer kept (the viewer keeps the newest traces)`),
    );
  }
  const link = el(
    'a',
    'graph-trace',
    chip,
    el('span', 'root', `${t.trace.rootService}: ${t.trace.rootName}`),
    el(
      'span',
      'meta',
      `${hop} · trace ${t.trace.spanCount} spans${t.trace.errorCount ? `, ${t.trace.errorCount} errors` : ''}`,
    ),
  );
  link.href = `/?trace=${t.traceId}`;
  link.dataset.traceId = t.traceId;
  return el('li', '', link);
}

let asked = '';

/** Lists the selection's recent traces in `panel` (or a hint when nothing is selected). */
export async function showTraces(panel, selection) {
  if (!selection) {
    asked = '';
    panel.replaceChildren(el('p', 'muted', 'Click an edge or a service to list its recent traces.'));
    return;
  }
  const params = new URLSearchParams(Object.entries(selection).filter(([, v]) => v !== undefined));
  const question = params.toString();
  asked = question;
  const res = await fetch(`/api/graph/traces?${params}`, { cache: 'no-store' });
  const body = await res.json();
  // A newer click may have asked meanwhile: only its answer is shown.
  if (asked !== question) return;
  if (!res.ok) {
    panel.replaceChildren(el('p', 'muted', body.error ?? `${res.status}`));
    return;
  }
  panel.replaceChildren(
    el('h2', '', title(selection)),
    body.traces.length === 0
      ? el('p', 'muted', `None in the last ${body.windowSeconds / 60} min.`)
      : el('ol', 'graph-traces', ...body.traces.map(item)),
  );
}
