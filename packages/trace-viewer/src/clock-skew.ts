import type { SpanView } from './span-record.ts';

/**
 * Clock-skew adjustment for the waterfall, after Jaeger's adjuster (model/adjuster/clockskew.go):
 * a span recorded by another process than its parent's (its own clock) that does not fit inside
 * its parent is shifted to sit in the middle of it — request and response latency assumed equal —
 * and its descendants in the same process move with it. Where that cannot make it fit (the child
 * lasted longer than the parent: on one machine, callbacks that ran late, not clocks), it is
 * clipped to its parent; so is any span still outside its parent (a same-process child that
 * outlived it). Nothing is drawn outside its parent, and every moved or clipped span says so in
 * `adjusted`, with its raw times.
 */
export function adjustClockSkew(spans: readonly SpanView[]): SpanView[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const children = new Map<string, SpanView[]>();
  const roots: SpanView[] = [];
  for (const s of spans) {
    if (s.parentSpanId && byId.has(s.parentSpanId) && s.parentSpanId !== s.spanId) {
      const list = children.get(s.parentSpanId) ?? [];
      list.push(s);
      children.set(s.parentSpanId, list);
    } else roots.push(s);
  }
  const out = new Map<string, SpanView>();
  const visit = (span: SpanView, parent: SpanView | undefined, inherited: number) => {
    if (out.has(span.spanId)) return; // a malformed trace must not loop forever
    const otherClock = parent !== undefined && span.serviceName !== parent.serviceName;
    const delta = otherClock ? skew(span, parent) : inherited;
    let start = span.startMs + delta;
    let end = start + span.durationMs;
    let clipped = false;
    if (parent && (start < parent.startMs || end > parent.startMs + parent.durationMs)) {
      start = Math.min(Math.max(start, parent.startMs), parent.startMs + parent.durationMs);
      end = Math.max(Math.min(end, parent.startMs + parent.durationMs), start);
      clipped = true;
    }
    const moved = Math.abs(delta) > 1e-9;
    const adjusted: SpanView =
      moved || clipped
        ? {
            ...span,
            startMs: start,
            durationMs: end - start,
            adjusted: {
              shiftedMs: round(delta),
              clipped,
              rawStartMs: span.startMs,
              rawDurationMs: span.durationMs,
              reason: reasonFor(otherClock, moved, clipped, delta, span, parent),
            },
          }
        : span;
    out.set(span.spanId, adjusted);
    for (const child of children.get(span.spanId) ?? []) visit(child, adjusted, delta);
  };
  for (const root of roots) visit(root, undefined, 0);
  return spans.map((s) => out.get(s.spanId) ?? s);
}

/** Jaeger's calculateSkew: how far to move `child` (raw) into `parent` (already adjusted). */
function skew(child: SpanView, parent: SpanView): number {
  const parentEnd = parent.startMs + parent.durationMs;
  if (child.durationMs > parent.durationMs) {
    // Longer than its parent: the most one can say is that it did not start before it.
    return child.startMs < parent.startMs ? parent.startMs - child.startMs : 0;
  }
  if (child.startMs >= parent.startMs && child.startMs + child.durationMs <= parentEnd) return 0;
  const latency = (parent.durationMs - child.durationMs) / 2;
  return parent.startMs + latency - child.startMs;
}

function reasonFor(
  otherClock: boolean,
  moved: boolean,
  clipped: boolean,
  delta: number,
  span: SpanView,
  parent: SpanView | undefined,
): string {
  const parts: string[] = [];
  if (moved)
    parts.push(
      otherClock
        ? `shifted ${signed(delta)} into its parent (clock skew between ${span.serviceName} and ${parent?.serviceName})`
        : `shifted ${signed(delta)} with its parent`,
    );
  if (clipped)
    parts.push(
      `drawn inside its parent: measured ${span.durationMs.toFixed(3)} ms, ${otherClock ? 'on another clock' : 'past its clipped parent'}`,
    );
  return parts.join('; ');
}

function signed(ms: number): string {
  return `${ms >= 0 ? '+' : '−'}${Math.abs(ms).toFixed(3)} ms`;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
