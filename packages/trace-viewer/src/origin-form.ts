/**
 * An origin-form request target (`/path?query`, even `//x:99999/`) as a URL; anything else
 * (absolute-form, `*`, a malformed target) → undefined. Read only its path and query: the host is
 * a placeholder. The trace viewer and the local mesh's sidecars both answer 400 on undefined.
 */
export function originForm(target: string | undefined): URL | undefined {
  if (!target?.startsWith('/')) return undefined;
  try {
    return new URL(`http://origin${target}`);
  } catch {
    return undefined;
  }
}
