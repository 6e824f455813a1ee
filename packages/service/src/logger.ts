import { type DestinationStream, type LoggerOptions, pino } from 'pino';
import { redactLine } from './redact.ts';

/** pino levels → Cloud Logging severities, so Cloud Run's log viewer colours lines right. */
const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

export interface LoggerConfig {
  service: string;
  revision?: string | undefined;
  destination?: DestinationStream;
}

/** JSON lines on stdout in the shape Cloud Logging reads: `severity`, `message`. */
export function createLogger(config: LoggerConfig) {
  const options: LoggerOptions = {
    messageKey: 'message',
    base: { serviceContext: { service: config.service, version: config.revision } },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }) },
    // Never log credentials, wherever they appear in a logged object (see redact.ts).
    hooks: { streamWrite: redactLine },
  };
  return config.destination ? pino(options, config.destination) : pino(options);
}
