import { type DestinationStream, type LoggerOptions, pino } from 'pino';

/** pino levels → Cloud Logging severities, so Cloud Run's log viewer colours lines right. */
const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

/** Never log credentials, wherever they appear in a logged object. */
export const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["x-serverless-authorization"]',
  '*.headers["proxy-authorization"]',
];

export interface LoggerConfig {
  service: string;
  revision?: string | undefined;
  /** Extra fields for every line, e.g. trace correlation (see @meshapps/telemetry). */
  mixin?: () => Record<string, unknown>;
  destination?: DestinationStream;
}

/** JSON lines on stdout in the shape Cloud Logging reads: `severity`, `message`. */
export function createLogger(config: LoggerConfig) {
  const options: LoggerOptions = {
    messageKey: 'message',
    base: { serviceContext: { service: config.service, version: config.revision } },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }) },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  if (config.mixin) options.mixin = config.mixin;
  return config.destination ? pino(options, config.destination) : pino(options);
}
