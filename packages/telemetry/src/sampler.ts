import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';

/**
 * The standard `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` values. Default
 * `parentbased_always_on`: a caller's sampled flag is honoured (Cloud Run's front end samples only
 * ~0.1 request/s per instance); `always_on` records every request whatever the caller decided.
 */
export function samplerFromEnv(env: NodeJS.ProcessEnv, warn: (message: string) => void): Sampler {
  const name = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase() || 'parentbased_always_on';
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio(env, warn));
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio(env, warn)) });
    default:
      warn(`OTEL_TRACES_SAMPLER="${env.OTEL_TRACES_SAMPLER}" is not supported: using parentbased_always_on`);
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

function ratio(env: NodeJS.ProcessEnv, warn: (message: string) => void): number {
  const raw = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  if (!raw) return 1;
  const value = Number(raw);
  if (Number.isFinite(value) && value >= 0 && value <= 1) return value;
  warn(`OTEL_TRACES_SAMPLER_ARG="${raw}" is not a ratio in [0, 1]: using 1`);
  return 1;
}
