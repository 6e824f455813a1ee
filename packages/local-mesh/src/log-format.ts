import { clip } from '@meshapps/mesh-config';
import type { HopEvent } from './sidecar.ts';
import type { LogLine } from './supervisor.ts';

const COLOURS = [36, 32, 33, 35, 34, 96, 92, 93, 95, 94];
const width = 20;
const useColour = process.stdout.isTTY && !process.env.NO_COLOR;

function paint(code: number, text: string): string {
  return useColour ? `\x1b[${code}m${text}\x1b[0m` : text;
}

function colourFor(name: string): number {
  let h = 0;
  for (const c of name) h = (h * 31 + (c.codePointAt(0) ?? 0)) >>> 0;
  return COLOURS[h % COLOURS.length] ?? 36;
}

/**
 * Text from outside (a requested audience, a host, an app's line) made safe for a terminal:
 * CR, LF, ESC and every other control character are shown escaped (`\r`, `\x1b`), so no input
 * can forge a log line or move the cursor.
 */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    if (c === '\r') return '\\r';
    if (c === '\n') return '\\n';
    const code = c.charCodeAt(0);
    return code > 0xff
      ? `\\u${code.toString(16).padStart(4, '0')}`
      : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}

export function prefix(name: string): string {
  return paint(colourFor(name), name.padEnd(width).slice(0, width));
}

/**
 * One app log line, readable: the Cloud Logging JSON the app writes becomes
 * `severity message (status, url, hop)`; anything else is shown as is.
 */
export function formatAppLine({ service, line }: LogLine, raw: boolean): string {
  if (raw) return `${prefix(service)} ${line}`;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line);
  } catch {
    return `${prefix(service)} ${printable(line)}`;
  }
  const req = entry.req as { method?: string; url?: string } | undefined;
  const res = entry.res as { statusCode?: number } | undefined;
  const details = [
    req ? `${req.method} ${req.url}` : undefined,
    res?.statusCode !== undefined ? String(res.statusCode) : undefined,
    typeof entry.responseTime === 'number' ? `${entry.responseTime.toFixed(1)} ms` : undefined,
    typeof entry.hop === 'string' ? `hop ${entry.hop}` : undefined,
  ].filter(Boolean);
  const severity = String(entry.severity ?? 'INFO').padEnd(7);
  const text = `${entry.message ?? ''}${details.length ? `  ${details.join('  ')}` : ''}`;
  return `${prefix(service)} ${severity} ${printable(text)}`;
}

/** The flags a reader may not know, with a few words each. */
const FLAG_WORDS: Record<string, string> = {
  DC: 'DC: the caller went away before the answer',
  UC: 'UC: the app broke off its answer',
};

/** One mesh hop; Envoy's response flags follow the status as in its access log (`503 FI`). */
export function formatHop(e: HopEvent): string {
  const to = e.service ? `${e.route} → ${e.service}` : 'no route';
  const status = e.flags ? `${e.status} ${e.flags}` : String(e.status);
  const attempts =
    (e.attempts && e.attempts > 1 ? `  ${e.attempts} attempts` : '') +
    (e.notRetried ? `  (not retried: body ${e.notRetried})` : '');
  const words = (e.flags ?? '')
    .split(',')
    .flatMap((f) => FLAG_WORDS[f] ?? [])
    .map((w) => `  (${w})`)
    .join('');
  const host = clipName(e.host);
  return `${prefix('mesh')} ${printable(`${e.caller} -> ${host}  ${to}  ${status}  ${e.ms.toFixed(1)} ms${attempts}${words}`)}`;
}

/**
 * Longest audience or host a log line shows: a run.app URL is ~60 characters. A request can carry
 * 16 KiB of audience or host, and one log line per request must not become megabytes a second.
 */
const LOGGED_NAME_MAX = 200;

/** Text from outside cut to LOGGED_NAME_MAX, saying how much was left out. */
function clipName(text: string): string {
  return clip(text, LOGGED_NAME_MAX, 'more');
}

/** A metadata server issued an ID token (the token itself is never shown). */
export function formatIdentity(service: string, audience: string): string {
  return `${prefix('metadata')} ${printable(`${service}: ID token issued for audience ${clipName(audience)}`)}`;
}
