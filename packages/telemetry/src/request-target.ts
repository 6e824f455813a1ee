/** An absolute-form target starts with a scheme and `//` (RFC 9112 §3.2.2). */
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * The path and query of an HTTP request target: origin-form (`/x?q`) as sent; absolute-form
 * (`http://user:pw@host/x?q`, which Node accepts on a request line) parsed, its credentials and
 * host dropped; anything else (`*`, `host:443`, a malformed URL) → undefined. One reading for
 * the server span's `url.path` and the request log line, so neither can carry what the other drops.
 */
export function requestTarget(target: string | undefined): { path: string; query: string } | undefined {
  const raw = target ?? '/';
  if (raw.startsWith('/')) {
    const q = raw.indexOf('?');
    return q === -1 ? { path: raw, query: '' } : { path: raw.slice(0, q), query: raw.slice(q + 1) };
  }
  if (!ABSOLUTE.test(raw)) return undefined;
  try {
    const url = new URL(raw);
    return { path: url.pathname, query: url.search.slice(1) };
  } catch {
    return undefined;
  }
}
