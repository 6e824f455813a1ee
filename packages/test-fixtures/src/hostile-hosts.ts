/**
 * Hop hosts an attacker may put in `/call/<host>/…`, written as they appear in the raw request
 * path (non-ASCII is percent-encoded on the wire by `asPathSegment`). Every one must be refused
 * before anything is dialled.
 */
const LONG_LABEL = 'a'.repeat(64);
const LONG_NAME = `${['a', 'b', 'c', 'd'].map((c) => c.repeat(63)).join('.')}.meshapps.internal`;

export const HOSTILE_MESH_HOSTS: readonly string[] = [
  // IPv4 literals, every spelling the WHATWG / inet_aton parsers accept
  '127.0.0.1',
  '2130706433',
  '0x7f000001',
  '0177.0.0.1',
  '127.1',
  '0x7f.0.0.1',
  '0.0.0.0',
  '10.0.0.1',
  '169.254.169.254',
  // IPv6 literals
  '[::1]',
  '%5B::1%5D',
  '[::ffff:127.0.0.1]',
  '[fe80::1%25eth0]',
  // never-call names
  'localhost',
  'LOCALHOST',
  'metadata',
  'metadata.google.internal',
  // ports and userinfo
  'target1.meshapps.internal:8080',
  'target1.meshapps.internal:80',
  'user@target1.meshapps.internal',
  'user:pass@target1.meshapps.internal',
  'target1.meshapps.internal@evil.com',
  // percent-encoding
  'target1%2emeshapps%2einternal',
  '%74arget1.meshapps.internal',
  '%2e%2e',
  'target1.meshapps.internal%2f..',
  'target1.meshapps.internal%2f%2e%2e%2fevil.com',
  'target1.meshapps.internal%00',
  'target1.meshapps.internal%0d%0ahost:evil.com',
  'target1%20.meshapps.internal',
  '%',
  'target1%zz.meshapps.internal',
  // empty labels
  '.',
  '..',
  '..meshapps.internal',
  'target1..meshapps.internal',
  '.target1.meshapps.internal',
  'target1.meshapps.internal.',
  // length limits
  `${LONG_LABEL}.meshapps.internal`,
  LONG_NAME,
  // backslashes (WHATWG URLs read them as "/")
  'target1.meshapps.internal\\evil.com',
  'evil.com\\@target1.meshapps.internal',
  // invalid labels
  '-target1.meshapps.internal',
  'target1-.meshapps.internal',
  'target_1.meshapps.internal',
  // outside the allow-list, or the suffix alone
  'meshapps.internal',
  '.meshapps.internal',
  'evil.com',
  'meshapps.internal.evil.com',
  'target1.meshapps.internal.evil.com',
  'xmeshapps.internal',
  'target1.meshapps.internalx',
  'target1-meshapps.internal',
  'http:',
  'http:%2f%2fevil.com',
  // unicode and punycode lookalikes
  'target1.meshаpps.internal', // Cyrillic "а"
  'target1.meshapps.ınternal', // dotless "ı"
  'ｔarget1.meshapps.internal', // fullwidth "ｔ"
  'target1．meshapps．internal', // fullwidth full stops (WHATWG maps them to ".")
  'target1。meshapps。internal', // ideographic full stops
  'target1.xn--meshpps-5ve.internal',
  'target1.meshapps.xn--nternal-2db',
];

/** For `/call-with-authheader` and `/call-without-authheader`: only `<label>.….run.app` hosts. */
export const HOSTILE_RUN_APP_HOSTS: readonly string[] = [
  'run.app',
  '.run.app',
  'evil.com',
  'evil.run.app.com',
  'run.app.evil.com',
  'xrun.app',
  'svc-abc.a.run.appx',
  'svc-abc.a.run.app.',
  'svc-abc..run.app',
  'svc-abc.a.run.app:443',
  'user@svc-abc.a.run.app',
  'svc-abc%2ea%2erun%2eapp',
  'svc-abc.a.run.app%2f..',
  '127.0.0.1',
  '2130706433',
  '169.254.169.254',
  '[::1]',
  'localhost',
  'metadata.google.internal',
  'target1.meshapps.internal',
  'svc-abc.a.run.аpp', // Cyrillic "а"
];

/** The host as a client puts it on the wire: non-ASCII percent-encoded (UTF-8), the rest raw. */
export function asPathSegment(host: string): string {
  return host.replace(/[^\x20-\x7e]/gu, (c) => encodeURIComponent(c));
}
