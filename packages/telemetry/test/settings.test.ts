import { describe, expect, it } from 'vitest';
import { readTelemetrySettings, traceLink } from '../src/index.ts';
import { projectIdSource } from '../src/project-id.ts';

describe('readTelemetrySettings', () => {
  it('on Cloud Run (no endpoint set) sends OTLP protobuf to the Telemetry API with Google credentials', () => {
    const s = readTelemetrySettings({ K_SERVICE: 'proxy', K_REVISION: 'proxy-00002-abc' });
    expect(s).toMatchObject({
      disabled: false,
      serviceName: 'proxy',
      serviceVersion: 'proxy-00002-abc',
      exporter: 'otlp',
      protocol: 'http/protobuf',
      tracesUrl: 'https://telemetry.googleapis.com/v1/traces',
      googleAuth: true,
      localCollector: undefined,
      warnings: [],
    });
  });

  it('locally sends to the loopback collector the mesh names, without credentials', () => {
    const s = readTelemetrySettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:16686/',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    expect(s).toMatchObject({
      protocol: 'http/json',
      tracesUrl: 'http://127.0.0.1:16686/v1/traces',
      googleAuth: false,
      localCollector: 'http://127.0.0.1:16686',
    });
  });

  it('never attaches Google credentials to a non-Google or plain-http endpoint', () => {
    for (const endpoint of [
      'https://collector.example.com',
      'http://telemetry.googleapis.com',
      'https://googleapis.com.evil.example',
      'http://localhost:4318',
    ]) {
      expect(readTelemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }).googleAuth, endpoint).toBe(
        false,
      );
    }
  });

  it('uses the per-signal endpoint as is and the per-signal protocol first', () => {
    const s = readTelemetrySettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://[::1]:4318/custom',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    });
    expect(s).toMatchObject({
      tracesUrl: 'http://[::1]:4318/custom',
      protocol: 'http/json',
      localCollector: 'http://[::1]:4318',
    });
  });

  it('reads OTEL_SDK_DISABLED, exporters and falls back (with a warning) on what it cannot do', () => {
    expect(readTelemetrySettings({ OTEL_SDK_DISABLED: 'TRUE' }).disabled).toBe(true);
    expect(readTelemetrySettings({ OTEL_SDK_DISABLED: 'false' }).disabled).toBe(false);
    expect(readTelemetrySettings({ OTEL_TRACES_EXPORTER: 'none' }).exporter).toBe('none');
    expect(readTelemetrySettings({ OTEL_TRACES_EXPORTER: 'google_cloud_trace' }).exporter).toBe(
      'google_cloud_trace',
    );
    const s = readTelemetrySettings({ OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    expect(s).toMatchObject({ exporter: 'otlp', protocol: 'http/protobuf' });
    expect(s.warnings).toHaveLength(2);
  });
});

describe('projectIdSource', () => {
  it('prefers the environment: no I/O at all', () => {
    expect(projectIdSource({ GOOGLE_CLOUD_PROJECT: 'p1', GCE_METADATA_HOST: '127.0.0.1:1' }, true)).toEqual({
      immediate: 'p1',
      metadataBase: undefined,
    });
    expect(projectIdSource({ OTEL_RESOURCE_ATTRIBUTES: 'a=b,gcp.project_id=p2' }, false).immediate).toBe(
      'p2',
    );
  });

  it('asks a configured metadata server (the local mesh fake), or the real one only when exporting to Google', () => {
    expect(projectIdSource({ GCE_METADATA_HOST: '127.0.0.1:9000' }, false).metadataBase).toBe(
      'http://127.0.0.1:9000',
    );
    expect(projectIdSource({}, true).metadataBase).toBe('http://169.254.169.254');
    // Exporting to the local viewer: never a packet to 169.254.169.254.
    expect(projectIdSource({}, false)).toEqual({ immediate: undefined, metadataBase: undefined });
  });
});

describe('traceLink', () => {
  const id = '4bf92f3577b34da6a3ce929d0e0e4736';

  it('points at the Cloud Trace console when spans go to Google', () => {
    const cloud = readTelemetrySettings({ K_SERVICE: 'client' });
    expect(traceLink(cloud, 'meshapps-demo', id)).toBe(
      `https://console.cloud.google.com/traces/list?project=meshapps-demo&tid=${id}`,
    );
    expect(traceLink(cloud, undefined, id)).toBeUndefined(); // project still being looked up
  });

  it('points at the local viewer when spans go to a collector on this machine, else nowhere', () => {
    const local = readTelemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:16686' });
    expect(traceLink(local, 'local-project', id)).toBe(`http://127.0.0.1:16686/?trace=${id}`);
    const elsewhere = readTelemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example.com' });
    expect(traceLink(elsewhere, 'p', id)).toBeUndefined();
    expect(traceLink(readTelemetrySettings({ OTEL_TRACES_EXPORTER: 'none' }), 'p', id)).toBeUndefined();
  });
});

describe('values the preload will not act on are said, not ignored', () => {
  const cases: [string, NodeJS.ProcessEnv, RegExp][] = [
    [
      'a non-boolean OTEL_SDK_DISABLED',
      { OTEL_SDK_DISABLED: '1' },
      /OTEL_SDK_DISABLED="1" is not true or false: tracing stays on/,
    ],
    [
      'a list of exporters',
      { OTEL_TRACES_EXPORTER: 'otlp,console' },
      /only the first exporter \(otlp\) is used/,
    ],
    ['OTEL_PROPAGATORS', { OTEL_PROPAGATORS: 'b3' }, /OTEL_PROPAGATORS is not read/],
    [
      'a batch setting that is not a number',
      { OTEL_BSP_SCHEDULE_DELAY: 'soon' },
      /OTEL_BSP_SCHEDULE_DELAY="soon" is not a non-negative number/,
    ],
    ['an unknown log level', { OTEL_LOG_LEVEL: 'loud' }, /OTEL_LOG_LEVEL="loud" is not one of/],
  ];
  it.each(cases)('%s', (_name, env, warning) => {
    const settings = readTelemetrySettings(env);
    expect(settings.warnings.join('\n')).toMatch(warning);
    expect(settings.disabled).toBe(false);
  });

  it('valid values warn about nothing', () => {
    expect(
      readTelemetrySettings({
        OTEL_SDK_DISABLED: 'false',
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_LOG_LEVEL: 'debug',
      }).warnings,
    ).toEqual([]);
  });
});
