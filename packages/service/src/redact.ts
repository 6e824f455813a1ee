import { readRequestTarget } from '@meshapps/request-target';

/**
 * Credentials never reach a log: any key below, at any depth and in any letter case, is censored
 * in the finished JSON line. Checked on the serialised line, so it covers whatever serializers
 * produced (request, reply, error objects) as well as plain objects.
 *
 * Why not pino's `redact` paths: they clone and walk every logged object on every line (about a
 * fifth of a service's CPU per request in the profile, docs/performance.md). Here the common case
 * is one regular-expression test per line; only a line that really carries such a key is parsed,
 * censored and serialised again.
 */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'x-serverless-authorization',
  'cookie',
  'set-cookie',
]);

export const CENSOR = '[redacted]';

/** A JSON key (quote, name, quote, colon) that names a credential. */
const SECRET_KEY = /"(?:proxy-|x-serverless-)?authorization"\s*:|"(?:set-)?cookie"\s*:/i;

export function redactLine(line: string): string {
  if (!SECRET_KEY.test(line)) return line;
  const newline = line.endsWith('\n') ? '\n' : '';
  try {
    return `${JSON.stringify(censor(JSON.parse(line)))}${newline}`;
  } catch {
    // Not JSON after all: drop it rather than risk the credential.
    return `${JSON.stringify({ severity: 'ERROR', message: `log line withheld: it names a credential (${CENSOR})` })}${newline}`;
  }
}

function censor(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(censor);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = SECRET_KEYS.has(key.toLowerCase()) ? CENSOR : censor(inner);
  }
  return out;
}

/**
 * A request URL as it may be logged: the path, and the query's parameter names with every value
 * censored (`?access_token=[redacted]`). An absolute-form request line
 * (`GET http://user:pw@host/x`) keeps only its path: never its credentials.
 */
export function loggableUrl(url: string | undefined): string {
  const target = readRequestTarget(url);
  if (!target) return CENSOR;
  if (!target.query) return target.path;
  const names = target.query.split('&').map((pair) => `${pair.split('=')[0]}=${CENSOR}`);
  return `${target.path}?${names.join('&')}`;
}
