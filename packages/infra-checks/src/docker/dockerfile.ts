/** A Dockerfile as a list of stages of instructions (line continuations joined, comments dropped). */
export interface Instruction {
  line: number;
  op: string;
  args: string;
}

export interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i] ?? '';
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.trimEnd().endsWith('\\') && i + 1 < lines.length) {
      i += 1;
      const next = lines[i] ?? '';
      if (/^\s*#/.test(next)) continue;
      line = `${line.trimEnd().slice(0, -1)} ${next.trim()}`;
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile line ${start + 1}: cannot parse "${line}"`);
    const op = (m[1] as string).toUpperCase();
    const args = (m[2] as string).trim();
    if (op === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`Dockerfile line ${start + 1}: bad FROM`);
      stages.push({ from: from[1] as string, name: from[2], instructions: [] });
    } else {
      const stage = stages[stages.length - 1];
      if (!stage) throw new Error(`Dockerfile line ${start + 1}: ${op} before FROM`);
      stage.instructions.push({ line: start + 1, op, args });
    }
  }
  return stages;
}

/** The stage chain ending at `stage`: its FROM ancestors first (FROM <stage name>). */
export function lineage(stages: readonly Stage[], stage: Stage): Stage[] {
  const parent = stages.find((s) => s.name !== undefined && s.name === stage.from);
  return parent ? [...lineage(stages, parent), stage] : [stage];
}

/** `KEY=value KEY2="v 2"` (ENV/ARG syntax) → entries; `ENV KEY value` legacy form too. */
export function keyValues(args: string): [string, string | undefined][] {
  if (!args.includes('=')) {
    const [k, ...rest] = args.split(/\s+/);
    return [[k as string, rest.length > 0 ? rest.join(' ') : undefined]];
  }
  return [...args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(?:=("(?:[^"\\]|\\.)*"|\S*))?/g)].map((m) => [
    m[1] as string,
    m[2] === undefined ? undefined : m[2].replace(/^"(.*)"$/, '$1'),
  ]);
}

/** Exec-form CMD/ENTRYPOINT (`["node", "x.js"]`), or undefined for shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  const parsed = JSON.parse(args) as unknown;
  return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : undefined;
}
