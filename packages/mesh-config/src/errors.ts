/** A problem in a config file, located precisely enough to fix without searching. */
export interface ConfigError {
  file: string;
  path: string;
  message: string;
}

export function formatErrors(errors: readonly ConfigError[]): string {
  return errors.map((e) => `${e.file}: ${e.path}: ${e.message}`).join('\n');
}

export class ConfigInvalidError extends Error {
  readonly errors: readonly ConfigError[];
  constructor(errors: readonly ConfigError[]) {
    super(`invalid configuration:\n${formatErrors(errors)}`);
    this.name = 'ConfigInvalidError';
    this.errors = errors;
  }
}
