import type { IncomingHttpHeaders } from 'node:http';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
]);

/**
 * The headers minus hop-by-hop ones (Node gives header names lower-cased). Copies the others
 * rather than spreading and deleting: `delete` turns the object into a slow dictionary, and this
 * runs three times per hop (sidecar, front's request, front's answer).
 */
export function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const name of Object.keys(headers)) if (!HOP_BY_HOP.has(name)) out[name] = headers[name];
  return out;
}
