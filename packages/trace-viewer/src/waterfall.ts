import type { SpanView } from './span-record.ts';

export interface WaterfallRow {
  span: SpanView;
  depth: number;
}

/**
 * Spans in tree order (parent before children, siblings by start). Spans whose parent is not in
 * the trace — the caller's span, or a hop that exported nothing — start their own subtree.
 */
export function waterfallRows(spans: readonly SpanView[]): WaterfallRow[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, SpanView[]>();
  const roots: SpanView[] = [];
  for (const span of [...spans].sort((a, b) => a.startMs - b.startMs)) {
    if (span.parentSpanId && ids.has(span.parentSpanId)) {
      const list = children.get(span.parentSpanId) ?? [];
      list.push(span);
      children.set(span.parentSpanId, list);
    } else {
      roots.push(span);
    }
  }
  const rows: WaterfallRow[] = [];
  const seen = new Set<string>();
  const visit = (span: SpanView, depth: number) => {
    if (seen.has(span.spanId)) return; // a malformed trace must not loop forever
    seen.add(span.spanId);
    rows.push({ span, depth });
    for (const child of children.get(span.spanId) ?? []) visit(child, depth + 1);
  };
  for (const root of roots) visit(root, 0);
  return rows;
}

export interface TextWaterfallOptions {
  /** Characters for the time axis. */
  barWidth?: number;
  /** ANSI colours (errors red, services dimmed). */
  color?: boolean;
}

/** The terminal waterfall `pnpm trace:last` prints. */
export function renderTextWaterfall(
  traceId: string,
  spans: readonly SpanView[],
  opts: TextWaterfallOptions = {},
): string {
  const barWidth = opts.barWidth ?? 40;
  const paint = (code: string, text: string) => (opts.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const rows = waterfallRows(spans);
  if (rows.length === 0) return `trace ${traceId}: no spans`;
  const t0 = Math.min(...spans.map((s) => s.startMs));
  const t1 = Math.max(...spans.map((s) => s.startMs + s.durationMs));
  const total = Math.max(t1 - t0, 0.001);
  const services = [...new Set(rows.map((r) => r.span.serviceName))];

  const labels = rows.map(({ span, depth }) => `${'  '.repeat(depth)}${span.serviceName}  ${span.name}`);
  const labelWidth = Math.min(70, Math.max(...labels.map((l) => l.length)));
  const lines = [
    `trace ${traceId}  ${formatMs(total)}  ${spans.length} spans  services: ${services.join(', ')}`,
  ];
  rows.forEach(({ span }, i) => {
    const label = truncate(labels[i] as string, labelWidth).padEnd(labelWidth);
    const offset = Math.min(barWidth - 1, Math.floor(((span.startMs - t0) / total) * barWidth));
    const length = Math.max(1, Math.min(barWidth - offset, Math.round((span.durationMs / total) * barWidth)));
    const bar = `${' '.repeat(offset)}${'█'.repeat(length)}`.padEnd(barWidth);
    const error = span.status.code === 'error';
    const status = error ? `  ✗ ${errorDetail(span)}` : '';
    const skew = span.adjusted
      ? `  ⟲ ${span.adjusted.clipped ? 'clipped' : `${signed(span.adjusted.shiftedMs)} skew`}`
      : '';
    const line = `${label} |${bar}| ${formatMs(span.durationMs).padStart(9)}${status}${skew}`;
    lines.push(error ? paint('31', line) : line);
  });
  return lines.join('\n');
}

function errorDetail(span: SpanView): string {
  const status = span.attributes['http.response.status_code'];
  const parts = [status === undefined ? '' : String(status), span.status.message ?? ''].filter(Boolean);
  return parts.join(' ') || 'error';
}

function signed(ms: number): string {
  return `${ms >= 0 ? '+' : '−'}${formatMs(Math.abs(ms))}`;
}

function formatMs(ms: number): string {
  return ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(ms >= 10 ? 1 : 2)} ms`;
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
