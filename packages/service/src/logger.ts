import { type DestinationStream, type LoggerOptions, pino } from 'pino';
import { loggableUrl, redactLine } from './redact.ts';

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

/** What Fastify's `req` serializer reads from a request. */
interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  headers?: Record<string, string | string[] | undefined>;
  socket?: { remotePort?: number };
  raw?: unknown;
}

/** Fastify's request (it has `raw`) as Fastify logs it; any other `req` field is logged as given. */
function requestForLog(req: LoggedRequest) {
  if (typeof req !== 'object' || req === null || !('raw' in req)) return req;
  return {
    method: req.method,
    url: loggableUrl(req.url),
    version: req.headers?.['accept-version'],
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
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
    // Fastify's request line as its own serializer writes it, minus what a URL can carry:
    // credentials in an absolute-form request line, tokens in the query.
    serializers: { req: requestForLog },
  };
  return config.destination ? pino(options, config.destination) : pino(options);
}
