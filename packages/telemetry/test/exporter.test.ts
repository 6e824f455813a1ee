import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { createSpanExporter, DeferredSpanExporter, LEGACY_CLOUD_TRACE_EXPORTER } from '../src/exporter.ts';
import { readTelemetrySettings } from '../src/settings.ts';

function exportOnce(exporter: SpanExporter): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export([] as ReadableSpan[], resolve));
}

describe('createSpanExporter', () => {
  it('without the deprecated package installed, google_cloud_trace warns and falls back to OTLP', async () => {
    const warnings: string[] = [];
    const exporter = await createSpanExporter(
      readTelemetrySettings({ OTEL_TRACES_EXPORTER: 'google_cloud_trace' }),
      (m) => warnings.push(m),
    );
    expect(exporter).toBeInstanceOf(DeferredSpanExporter);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`pnpm --filter @meshapps/telemetry add ${LEGACY_CLOUD_TRACE_EXPORTER}`);
  });

  it('none means no exporter at all', async () => {
    expect(
      await createSpanExporter(readTelemetrySettings({ OTEL_TRACES_EXPORTER: 'none' }), () => {}),
    ).toBeUndefined();
  });
});

describe('DeferredSpanExporter', () => {
  it('loads the real exporter on the first export only, and retries a failed load', async () => {
    let loads = 0;
    const real: SpanExporter = {
      export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }),
      shutdown: async () => {},
    };
    const deferred = new DeferredSpanExporter(async () => {
      loads++;
      if (loads === 1) throw new Error('module not found');
      return real;
    });
    expect(loads).toBe(0);
    expect((await exportOnce(deferred)).code).toBe(ExportResultCode.FAILED);
    expect((await exportOnce(deferred)).code).toBe(ExportResultCode.SUCCESS);
    expect((await exportOnce(deferred)).code).toBe(ExportResultCode.SUCCESS);
    expect(loads).toBe(2);
    await deferred.shutdown();
  });
});
