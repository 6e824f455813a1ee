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

/** One line cut to MAX_LINE characters, saying how long it was. */
export function clip(line: string, max = MAX_LINE): string {
  return line.length <= max ? line : `${line.slice(0, max)}… (${line.length} characters)`;
}

export class ConfigInvalidError extends Error {
  readonly errors: readonly ConfigError[];
  constructor(errors: readonly ConfigError[]) {
    super(`invalid configuration:\n${formatErrors(errors)}`);
    this.name = 'ConfigInvalidError';
    this.errors = errors;
  }
}
