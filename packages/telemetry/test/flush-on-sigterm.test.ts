import { until } from '@meshapps/test-fixtures';
import { startTraceViewer, type TraceViewer } from '@meshapps/trace-viewer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSpanId, newTraceId, type ServiceProcess, startService } from './support.ts';

let viewer: TraceViewer;
let target: ServiceProcess;

beforeAll(async () => {
  viewer = await startTraceViewer({ port: 0 });
  target = await startService('target', {
    K_SERVICE: 'target1',
    GOOGLE_CLOUD_PROJECT: 'meshapps-test',
    OTEL_EXPORTER_OTLP_ENDPOINT: viewer.otlpEndpoint,
    // No timed export during the test: only the shutdown flush can deliver the spans.
    OTEL_BSP_SCHEDULE_DELAY: '600000',
  });
});

afterAll(async () => {
  await target?.stop();
  await viewer?.close();
});

describe('on SIGTERM', () => {
  it('flushes the spans still buffered before the process exits', async () => {
    const traceId = newTraceId();
    const res = await fetch(`${target.url}/`, {
      headers: { traceparent: `00-${traceId}-${newSpanId()}-01` },
    });
    expect(res.status).toBe(200);
    expect((await fetch(`${viewer.url}/api/traces/${traceId}`)).status).toBe(404);

    await target.stop(); // SIGTERM: drain, flush telemetry, exit
    const spans = await until(
      async () => {
        const got = await fetch(`${viewer.url}/api/traces/${traceId}`);
        return got.status === 200 ? ((await got.json()) as { spans: { kind: string }[] }).spans : undefined;
      },
      'the viewer never got the span flushed at shutdown',
      2000,
    );
    // target's one span of that request (its SERVER span), delivered by the shutdown flush alone.
    expect(spans.map((s) => s.kind)).toEqual(['server']);
  });
});
