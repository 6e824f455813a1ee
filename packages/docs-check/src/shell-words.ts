import { type ControlOperator, type ParseEntry, parse } from 'shell-quote';

/**
 * Shell command lines as the docs checks need them, read by shell-quote: the words of each
 * simple command (quotes removed, `$(…)` and `$VAR` kept as written, never expanded here), the
 * variables a line reads and the ones it sets. shell-quote tokenises; this module only puts back
 * together what it splits (`$(` … `)` comes out as `$` and two operators) and looks inside
 * double-quoted `"$(…)"`, which it leaves as text.
 */

type Op = ControlOperator;
const isOp = (e: ParseEntry | undefined): e is Op => typeof e === 'object' && 'op' in e && e.op !== 'glob';
/** A word as the shell wrote it: text, or an unquoted glob such as `infra/routes/**`. */
const wordOf = (e: ParseEntry): string | undefined =>
  typeof e === 'string' ? e : 'pattern' in e ? e.pattern : undefined;

/** Backslash-newline continuations joined, as bash reads them. */
const joined = (line: string) => line.replace(/\\\n[ \t]*/g, ' ');

/** `$NAME` and `${…}` as written (shell-quote hands us the name, or `NAME:-x` for `${NAME:-x}`). */
const asWritten = (key: string) => (key === '' ? '$' : /^\w+$/.test(key) ? `$${key}` : `\${${key}}`);

/** shell-quote's entries with every `$(…)` folded back into the word it belongs to. */
function entries(line: string, onVariable?: (name: string) => void): (string | Op)[] {
  const raw = parse(joined(line), (key) => {
    onVariable?.(key);
    return asWritten(key);
  }).filter((e) => !(typeof e === 'object' && 'comment' in e));
  const out: (string | Op)[] = [];
  for (let i = 0; i < raw.length; i++) {
    const e = raw[i] as ParseEntry;
    const next = raw[i + 1];
    if (typeof e === 'string' && e.endsWith('$') && isOp(next) && next.op === '(') {
      const inner: string[] = [];
      let depth = 1;
      let j = i + 2;
      for (; j < raw.length && depth > 0; j++) {
        const t = raw[j] as ParseEntry;
        if (isOp(t) && t.op === '(') depth++;
        if (isOp(t) && t.op === ')') depth--;
        if (depth > 0) inner.push(isOp(t) ? t.op : (wordOf(t) ?? ''));
      }
      out.push(`${e}(${inner.join(' ')})`);
      i = j - 1;
    } else if (isOp(e)) out.push(e);
    else out.push(wordOf(e) ?? '');
  }
  return out;
}

const REDIRECTS = new Set<string>([
  '>',
  '>>',
  '<',
  '>&',
  '<&',
  '<<<',
  '<<',
  '<<-',
  '<(',
  '>(',
  '>|',
  '&>',
  '&>>',
  '<>',
]);

/**
 * The simple commands of a line, each as its words: split at `&&`, `||`, `;`, `|`, `&` and
 * parentheses; a redirection and its target dropped.
 */
export function simpleCommands(line: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  const list = entries(line);
  for (let i = 0; i < list.length; i++) {
    const e = list[i] as string | Op;
    if (typeof e === 'string') {
      words.push(e);
      continue;
    }
    if (REDIRECTS.has(e.op)) {
      i++; // its target
      continue;
    }
    if (words.length > 0) commands.push(words);
    words = [];
  }
  if (words.length > 0) commands.push(words);
  return commands;
}

/** Every word of a line, operators left out: `pnpm start -- --env a:B=1` → 5 words. */
export function shellWords(line: string): string[] {
  return simpleCommands(line).flat();
}

/** `--name=value` or `--name value` from a word list. */
export function flagValue(words: string[], name: string): string | undefined {
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w === `--${name}`) return words[i + 1];
    if (w.startsWith(`--${name}=`)) return w.slice(name.length + 3);
  }
  return undefined;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** `read`'s options that take a value (`-p PROMPT`, …); the other words are the names it sets. */
const READ_VALUE_OPTIONS = new Set(['-a', '-d', '-i', '-n', '-N', '-p', '-t', '-u']);

function readNames(args: string[]): string[] {
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const w = args[i] as string;
    if (READ_VALUE_OPTIONS.has(w)) i++;
    else if (/^[A-Za-z_]\w*$/.test(w)) names.push(w);
  }
  return names;
}

/**
 * The variables a line reads (`$X`, `${X}`, `${X:-…}`, also inside `"$(…)"`), in order, without
 * bash's special parameters (`$?`, `$1`, `$#`). Single-quoted text reads nothing.
 */
export function variablesRead(line: string): string[] {
  const names: string[] = [];
  const substitutions: string[] = [];
  for (const e of entries(line, (key) => {
    const name = NAME.exec(key)?.[0];
    if (name) names.push(name);
  })) {
    // shell-quote leaves "$(…)" inside double quotes as text: read its command too.
    if (typeof e === 'string')
      for (const m of e.matchAll(/\$\(([^()]*(?:\([^()]*\)[^()]*)*)\)/g)) substitutions.push(m[1] as string);
  }
  for (const inner of substitutions) names.push(...variablesRead(inner));
  return names;
}

/**
 * The variables a line sets for what follows: `NAME=…` and `export NAME=…` (but not `NAME=… cmd`,
 * which sets it for that one command), `for NAME in`, `read … NAME`.
 */
export function variablesSet(line: string): string[] {
  const names: string[] = [];
  for (const words of simpleCommands(line)) {
    const [first, second] = words;
    if (first === 'for' && second && NAME.test(second)) names.push(second);
    else if (first === 'read') names.push(...readNames(words.slice(1)));
    else {
      const rest = first === 'export' || first === 'declare' || first === 'local' ? words.slice(1) : words;
      const assigns = rest.filter((w) => /^[A-Za-z_]\w*=/.test(w));
      const onlyAssignments = assigns.length === rest.filter((w) => !w.startsWith('-')).length;
      if (first === 'export' || onlyAssignments)
        names.push(...assigns.map((w) => w.slice(0, w.indexOf('='))));
    }
  }
  return names;
}
