import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';

// The request's path in local-mesh's README names a file and a function at each step; a rename
// that leaves the map behind fails here (issue 21: the diagram names real files and functions).
const README = readFileSync(join(REPO_ROOT, 'packages/local-mesh/README.md'), 'utf8');
const diagram = /```mermaid\n(sequenceDiagram[\s\S]*?)```/.exec(README)?.[1] ?? '';

/** Every `path/to/file.ts · name()` or `· Class.method()` the diagram names. */
function namedSteps(text: string): { file: string; name: string }[] {
  return [...text.matchAll(/([\w@./-]+\.ts) · ([\w$]+(?:\.[\w$]+)?)\(\)/g)].map((m) => ({
    file: m[1] as string,
    name: m[2] as string,
  }));
}

/** Whether `source` declares `name`: a function, a const, or `Class.method`. */
function declares(source: string, name: string): boolean {
  const [owner, member] = name.includes('.') ? name.split('.') : [undefined, name];
  const fn = new RegExp(
    `(?:^|\\n)\\s*(?:export\\s+)?(?:async\\s+)?(?:function\\*?\\s+${member}\\s*[(<]|const\\s+${member}\\s*=)`,
  );
  if (!owner) return fn.test(source);
  const cls = new RegExp(`(?:^|\\n)(?:export\\s+)?class\\s+${owner}\\b[\\s\\S]*?\\n}`).exec(source)?.[0];
  return cls !== undefined && new RegExp(`\\n\\s+(?:async\\s+)?${member}\\s*\\(`).test(cls);
}

describe("local-mesh's request path", () => {
  it('is one Mermaid sequence diagram with every party the issue names', () => {
    expect(diagram).not.toBe('');
    for (const party of [
      'load balancer stand-in',
      "client's Cloud Run front",
      'client app',
      'HTTP_PROXY',
      'sidecar',
      'route table',
      'ID token',
      "proxy's Cloud Run front (the callee's)",
    ])
      expect(diagram).toContain(party);
  });

  const steps = namedSteps(diagram);
  it('names a file and a function at each step', () => {
    expect(steps.length).toBeGreaterThanOrEqual(15);
    const messages = diagram.split('\n').filter((l) => /->>|-->>/.test(l) && l.includes('<br/>'));
    for (const m of messages) expect(namedSteps(m), m).toHaveLength(1);
  });

  it.each(steps.map((s) => [`${s.file} · ${s.name}()`, s] as const))(
    '%s exists',
    (_label, { file, name }) => {
      const path = join(REPO_ROOT, file);
      expect(existsSync(path), file).toBe(true);
      expect(declares(readFileSync(path, 'utf8'), name), `${name} in ${file}`).toBe(true);
    },
  );

  it('catches a name that is not there (the check can fail)', () => {
    const source = readFileSync(join(REPO_ROOT, 'packages/local-mesh/src/hop-relay.ts'), 'utf8');
    expect(declares(source, 'relayHop')).toBe(true);
    expect(declares(source, 'relayHops')).toBe(false);
    const front = readFileSync(join(REPO_ROOT, 'packages/local-mesh/src/cloud-run-front.ts'), 'utf8');
    expect(declares(front, 'CloudRunFront.send')).toBe(true);
    expect(declares(front, 'CloudRunFront.commit')).toBe(false);
    expect(declares(front, 'Agent.send')).toBe(false);
  });
});
