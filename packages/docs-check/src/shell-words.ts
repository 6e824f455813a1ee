/**
 * Splits one shell command line into words as bash would for simple commands: quotes removed,
 * backslash escapes honoured, `$(…)` and `$VAR` kept as written (never expanded here).
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  let depth = 0; // inside $( … )
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
      continue;
    }
    if (depth > 0) {
      word += c;
      if (c === '(') depth++;
      else if (c === ')') depth--;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      const next = line[++i] as string;
      if (next !== '\n') {
        word += next;
        inWord = true;
      }
    } else if (c === '$' && line[i + 1] === '(') {
      word += '$(';
      i++;
      depth = 1;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
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
