/**
 * The hop list comes from the request path, so every hostname in it is attacker-controlled
 * (SSRF surface). Hosts are checked against an allow-list by strict string rules before any
 * connection is made: no IP literals, no ports, no userinfo, no percent-encoding, no localhost
 * or metadata server — only DNS names under an allowed suffix.
 */

/** RFC 1123 label: 1–63 chars, letters/digits/hyphens, no leading or trailing hyphen. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_HOSTNAME = 253;
const FORBIDDEN_NAMES = new Set(['localhost', 'metadata', 'metadata.google.internal']);

export type HostCheck = { ok: true; host: string } | { ok: false; reason: string };

export interface AllowList {
  /** Hostnames allowed exactly. */
  hosts?: readonly string[];
  /**
   * Suffixes such as ".meshapps.internal", ".run.app" or "-123456789012.asia-northeast1.run.app"
   * (starting with "." or "-"): a host must have at least one character before it.
   */
  suffixes?: readonly string[];
}

export function checkHost(raw: string, allow: AllowList): HostCheck {
  if (raw.length === 0) return { ok: false, reason: 'empty hostname' };
  if (raw.length > MAX_HOSTNAME)
    return { ok: false, reason: `hostname longer than ${MAX_HOSTNAME} characters` };
  // Reject before lower-casing so tricks never get normalised into something valid.
  if (/[^A-Za-z0-9.-]/.test(raw)) {
    return {
      ok: false,
      reason: 'hostname may contain only letters, digits, "-" and "." (no port, userinfo or encoding)',
    };
  }
  const host = raw.toLowerCase();
  const labels = host.split('.');
  if (labels.some((l) => l.length === 0)) return { ok: false, reason: 'hostname has an empty label' };
  if (!labels.every((l) => LABEL.test(l))) return { ok: false, reason: 'hostname has an invalid label' };
  if (labels.every((l) => /^(?:0x[0-9a-f]*|[0-9]+)$/.test(l)))
    return { ok: false, reason: 'IP literals are not allowed' };
  if (FORBIDDEN_NAMES.has(host)) return { ok: false, reason: `"${host}" is never a call target` };
  const exact = allow.hosts?.includes(host) ?? false;
  const bySuffix =
    allow.suffixes?.some((s) => host.endsWith(s) && host.length > s.length && /^[.-]/.test(s)) ?? false;
  if (!exact && !bySuffix) {
    const allowed = [...(allow.hosts ?? []), ...(allow.suffixes ?? []).map((s) => `*${s}`)].join(', ');
    return { ok: false, reason: `"${host}" is not in the allow-list (${allowed || 'empty'})` };
  }
  return { ok: true, host };
}
