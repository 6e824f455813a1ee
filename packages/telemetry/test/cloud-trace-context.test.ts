import { ROOT_CONTEXT, type TextMapPropagator, TraceFlags, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { CloudTraceContextPropagator, parseCloudTraceContext } from '../src/index.ts';

const TRACE = '105445aa7843bc8bf206b12000100000';

describe('parseCloudTraceContext', () => {
  it('reads TRACE_ID/SPAN_ID_DECIMAL;o=1 as a sampled remote parent', () => {
    expect(parseCloudTraceContext(`${TRACE}/1;o=1`)).toEqual({
      traceId: TRACE,
      spanId: '0000000000000001',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    expect(parseCloudTraceContext(`${TRACE.toUpperCase()}/18446744073709551615;o=1`)?.spanId).toBe(
      'ffffffffffffffff',
    );
  });

  it('treats o=0 and a missing option as not sampled', () => {
    expect(parseCloudTraceContext(`${TRACE}/123;o=0`)?.traceFlags).toBe(TraceFlags.NONE);
    expect(parseCloudTraceContext(`${TRACE}/123`)?.traceFlags).toBe(TraceFlags.NONE);
  });

  it.each([
    ['empty', ''],
    ['no span', TRACE],
    ['short trace id', `${TRACE.slice(1)}/1;o=1`],
    ['zero trace id', `${'0'.repeat(32)}/1;o=1`],
    ['zero span id', `${TRACE}/0;o=1`],
    ['span id above 2^64-1', `${TRACE}/18446744073709551616;o=1`],
    ['hex span id', `${TRACE}/abc;o=1`],
    ['garbage after', `${TRACE}/1;o=1;x`],
  ])('rejects %s', (_name, value) => {
    expect(parseCloudTraceContext(value)).toBeUndefined();
  });
});

describe('CloudTraceContextPropagator', () => {
  const getter = {
    get: (carrier: Record<string, string>, key: string) => carrier[key],
    keys: (carrier: Record<string, string>) => Object.keys(carrier),
  };

  it('extracts the header into the context and injects nothing', () => {
    const propagator: TextMapPropagator = new CloudTraceContextPropagator();
    const ctx = propagator.extract(ROOT_CONTEXT, { 'x-cloud-trace-context': `${TRACE}/10;o=1` }, getter);
    expect(trace.getSpanContext(ctx)?.spanId).toBe('000000000000000a');
    const setter = {
      set: (carrier: Record<string, string>, key: string, value: string) => {
        carrier[key] = value;
      },
    };
    // The same sampled context and setter make the W3C propagator write traceparent ...
    const w3c: Record<string, string> = {};
    new W3CTraceContextPropagator().inject(ctx, w3c, setter);
    expect(w3c.traceparent).toBe(`00-${TRACE}-000000000000000a-01`);
    // ... while this one writes nothing, not even its own header.
    const carrier: Record<string, string> = {};
    propagator.inject(ctx, carrier, setter);
    expect(carrier).toEqual({});
    expect(propagator.fields()).toEqual([]);
  });

  it('leaves the context alone when the header is missing or malformed', () => {
    const propagator = new CloudTraceContextPropagator();
    expect(propagator.extract(ROOT_CONTEXT, {}, getter)).toBe(ROOT_CONTEXT);
    expect(propagator.extract(ROOT_CONTEXT, { 'x-cloud-trace-context': 'nope' }, getter)).toBe(ROOT_CONTEXT);
  });
});
