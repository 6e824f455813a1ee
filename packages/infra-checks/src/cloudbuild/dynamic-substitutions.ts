import type { Findings } from '../errors.ts';
import { type BuildConfig, references } from './check.ts';
import { BUILT_IN_SUBSTITUTIONS } from './shape.ts';

/**
 * A substitution whose default names another (`_TAG: ${COMMIT_SHA}`) is expanded by triggers
 * always, but by manual builds only with `options.dynamicSubstitutions: true`; without it a
 * manual build tags images with the literal text. And the name must exist.
 */
export function checkDynamicSubstitutions(config: BuildConfig, file: string, findings: Findings): void {
  const defined = new Set(Object.keys(config.substitutions ?? {}));
  for (const [name, value] of Object.entries(config.substitutions ?? {})) {
    const refs = references(value);
    if (refs.length === 0) continue;
    findings.expect(
      config.options?.dynamicSubstitutions === true,
      file,
      `substitutions.${name}`,
      `defaults to "${value}", which names another substitution: set options.dynamicSubstitutions: true, or a manual build uses the text as it stands`,
    );
    for (const ref of refs) {
      findings.expect(
        BUILT_IN_SUBSTITUTIONS.has(ref) || (defined.has(ref) && ref !== name),
        file,
        `substitutions.${name}`,
        `defaults to "${value}": \${${ref}} is neither built in nor another substitution`,
      );
    }
  }
}
