import { randomFillSync } from 'node:crypto';
import { isValidSpanId, isValidTraceId } from '@opentelemetry/api';

/**
 * W3C `traceparent` helpers for in-process span producers without an SDK (the local mesh's
 * sidecar): read the caller's context, record a span as its child, pass the child on. They live
 * here, with the rest of trace propagation, so the local mesh reaches them without the viewer.
 * https://www.w3.org/TR/trace-context/#traceparent-header
 */
export interface TraceParent {
  traceId: string;
  /** The caller's span: the parent of whatever is recorded next. */
  spanId: string;
  sampled: boolean;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

export function parseTraceparent(value: string | string[] | undefined): TraceParent | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  const match = TRACEPARENT.exec(raw?.trim().toLowerCase() ?? '');
  if (!match) return undefined;
  const [, version, traceId, spanId, flags] = match as unknown as [string, string, string, string, string];
  if (version === 'ff' || !isValidTraceId(traceId) || !isValidSpanId(spanId)) return undefined;
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

export function formatTraceparent(context: TraceParent): string {
  return `00-${context.traceId}-${context.spanId}-${context.sampled ? '01' : '00'}`;
}

/**
 * Span ids from a pooled buffer of crypto-random bytes, refilled when used up: one
 * `randomBytes(8)` per span was 3.2% of the mesh process's CPU. Ids stay unpredictable (the
 * kernel's CSPRNG, each byte used once); an all-zero id (invalid in W3C) is skipped.
 */
export function spanIdSource(
  fill: (buffer: Buffer) => void = (buffer) => randomFillSync(buffer),
  poolIds = 512,
): () => string {
  const pool = Buffer.allocUnsafe(8 * poolIds);
  let offset = pool.length;
  return () => {
    for (;;) {
      if (offset === pool.length) {
        fill(pool);
        offset = 0;
      }
      const id = pool.toString('hex', offset, offset + 8);
      offset += 8;
      if (id !== '0000000000000000') return id;
    }
  };
}

export const randomSpanId: () => string = spanIdSource();
