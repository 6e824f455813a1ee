import { z } from 'zod';

/**
 * Schema helpers for every YAML document the project reads (topology, HTTPRoute, Cloud Build),
 * on zod 4 (docs/decisions/040-one-schema-library-zod.md): the schemas' inferred types are the
 * types the code uses. Errors keep the wording people fix files by — the field path, the reason,
 * "known here: …" for a typo and "set only one of …" — so `file: rules[0].action.timeout: …`
 * points straight at the line to fix.
 */
export interface ShapeError {
  path: string;
  message: string;
}

type Issue = z.core.$ZodRawIssue;
const OUTPUT_ONLY = 'output-only field: the API sets it, remove it from the file';

/**
 * A mapping with exactly these fields: an unknown key is a typo the cloud's importer would
 * reject too. `oneOf` groups may have at most one member set; `outputOnly` fields are refused
 * with their own reason (the API sets them), and so is each `refused` key (with the reason given).
 */
export function fields<T extends z.core.$ZodShape>(
  shape: T,
  rules: { oneOf?: (keyof T & string)[][]; outputOnly?: string[]; refused?: Record<string, string> } = {},
) {
  const known = Object.keys(shape).join(', ');
  const refused = [
    ...(rules.outputOnly ?? []).map((k) => [k, z.never({ error: OUTPUT_ONLY }).optional()]),
    ...Object.entries(rules.refused ?? {}).map(([k, why]) => [k, z.never({ error: why }).optional()]),
  ];
  const unknown = (iss: Issue) =>
    iss.code === 'unrecognized_keys' ? `unknown field (known here: ${known})` : undefined;
  return z.strictObject({ ...shape, ...Object.fromEntries(refused) } as T, { error: unknown }).superRefine(
    (value, ctx) => {
      for (const group of rules.oneOf ?? []) {
        const present = group.filter((k) => k in value);
        if (present.length > 1) {
          ctx.addIssue({
            code: 'custom',
            message: `set only one of ${group.join(', ')} (found ${present.join(', ')})`,
          });
        }
      }
    },
    // Also when a field is wrong, so one run reports every mistake in the file.
    { when: (payload) => isPlainObject(payload.value) },
  );
}

/** A string matching `pattern`; `hint` says what is expected (else the pattern is shown). */
export const matching = (pattern: RegExp, hint?: string) =>
  z.string().regex(pattern, hint === undefined ? undefined : { error: hint });

/** An enum field: any other value is refused naming the choices ("ingress must be one of …"). */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T, what?: string) {
  const error = (iss: Issue) =>
    iss.input === undefined
      ? undefined
      : `${what ? `${what} ` : ''}must be one of ${values.join(', ')}, got ${describe(iss.input)}`;
  return z.enum(values, { error });
}

/** Protobuf Duration as YAML writes it: "5s", "0.5s", "1.000000001s". */
const DURATION = /^\d+(\.\d{1,9})?s$/;
const durationError = (iss: Issue) =>
  iss.input === undefined ? undefined : `expected a duration like "5s" or "0.5s", got ${describe(iss.input)}`;
export const duration = z.string({ error: durationError }).regex(DURATION, { error: durationError });

/** Checks `value` against `schema`: the typed value, or every error with its field path. */
export function checkShape<T>(
  value: unknown,
  schema: z.ZodType<T>,
): { ok: true; value: T } | { ok: false; errors: ShapeError[] } {
  const result = schema.safeParse(value, { error: reason });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, errors: result.error.issues.flatMap(toShapeErrors) };
}

/** One error per unknown key (zod reports them together), each at its own path. */
function toShapeErrors(issue: z.core.$ZodIssue): ShapeError[] {
  const at = issue.path.reduce<string>(
    (path, key) =>
      typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${String(key)}` : String(key),
    '',
  );
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: at ? `${at}.${key}` : key, message: issue.message }));
  }
  return [{ path: at || '(document)', message: issue.message }];
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  boolean: 'true or false',
  int: 'an integer',
  number: 'an integer',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

/** The reason for every issue no schema words itself, in the terms of a YAML file. */
function reason(iss: Issue): string | undefined {
  if (iss.input === undefined && (iss.code === 'invalid_type' || iss.code === 'invalid_value')) {
    return 'required field is missing';
  }
  switch (iss.code) {
    case 'invalid_type':
      return `expected ${EXPECTED[iss.expected] ?? iss.expected}, got ${describe(iss.input)}`;
    case 'too_small':
      return iss.origin === 'array'
        ? `needs at least ${iss.minimum} item${iss.minimum === 1 ? '' : 's'}`
        : `must be at least ${iss.minimum}, got ${iss.input}`;
    case 'too_big':
      return `must be at most ${iss.maximum}, got ${iss.input}`;
    case 'invalid_format':
      return iss.format === 'regex' ? `does not match ${iss.pattern}` : undefined;
    default:
      return undefined;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}
