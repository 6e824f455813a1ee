/** A problem in a config file, located precisely enough to fix without searching. */
export interface ConfigError {
  file: string;
  path: string;
  message: string;
}

/** At most this many lines, each at most MAX_LINE characters: a 10,000-rule file is not a 10,000-line log. */
export const MAX_ERROR_LINES = 50;
const MAX_LINE = 500;

export function formatErrors(errors: readonly ConfigError[]): string {
  const lines = errors.slice(0, MAX_ERROR_LINES).map((e) => clip(`${e.file}: ${e.path}: ${e.message}`));
  if (errors.length > MAX_ERROR_LINES) {
    lines.push(
      `… and ${errors.length - MAX_ERROR_LINES} more (${errors.length} problems in all; fix these first)`,
    );
  }
  return lines.join('\n');
}

/**
 * Text cut to `max` characters, saying how long it was (`… (N characters)`) or, for `'more'`, how
 * much was left out (`… (N more characters)`): the repository's one clipper, for error lines,
 * quoted patterns and log lines alike.
 */
export function clip(line: string, max = MAX_LINE, tell: 'length' | 'more' = 'length'): string {
  if (line.length <= max) return line;
  const told = tell === 'more' ? `${line.length - max} more characters` : `${line.length} characters`;
  return `${line.slice(0, max)}… (${told})`;
}

export class ConfigInvalidError extends Error {
  readonly errors: readonly ConfigError[];
  constructor(errors: readonly ConfigError[]) {
    super(`invalid configuration:\n${formatErrors(errors)}`);
    this.name = 'ConfigInvalidError';
    this.errors = errors;
  }
}
