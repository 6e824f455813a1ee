/**
 * The one reader of an HTTP request target, the second word of a request line (RFC 9112 §3.2).
 * Every listener of the project reads its request targets here, so no two of them can disagree
 * on what the path of one request is.
 */
export interface RequestTarget {
  /** Absolute-form only (`http://host:port/x`, as sent to a proxy): scheme and authority. */
  absolute?: {
    /** Lower case, without the colon: `http`. */
    scheme: string;
    /** `host[:port]` as WHATWG URL reads it: lower case, credentials dropped. */
    host: string;
  };
  /** Origin-form: exactly as sent. Absolute-form: as WHATWG URL reads it (dot segments resolved). */
  path: string;
  /** What follows the first `?`, without it; `''` when there is none. */
  query: string;
}

/** An absolute-form target starts with a scheme and `//` (RFC 9112 §3.2.2). */
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Origin-form (`/x?q`) is taken as sent, without normalisation: the path a route matches is the
 * path the app receives, as in Envoy with `normalize_path` off (its default). Absolute-form is
 * parsed by Node's WHATWG URL. Anything else — `*`, authority-form (`host:443`), a malformed URL,
 * a target carrying a fragment (`#`: never part of a request target; Envoy refuses it too) — is
 * undefined, and each caller answers that as it must (a 400 for a proxy, `/` in a log line).
 */
export function readRequestTarget(raw: string | undefined): RequestTarget | undefined {
  if (raw === undefined || raw.includes('#')) return undefined;
  if (raw.startsWith('/')) {
    const q = raw.indexOf('?');
    return q === -1 ? { path: raw, query: '' } : { path: raw.slice(0, q), query: raw.slice(q + 1) };
  }
  if (!ABSOLUTE.test(raw)) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  return {
    absolute: { scheme: url.protocol.slice(0, -1), host: url.host },
    path: url.pathname,
    query: url.search.slice(1),
  };
}
