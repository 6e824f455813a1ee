/**
 * A tiny structural checker for YAML documents: known fields only, each with its type, and
 * "one of" groups. Errors name the field path, so `file: rules[0].action.timeout: …` points
 * straight at the line to fix. (gcloud's import schemas also reject unknown fields.)
 */
export type Shape =
  | { kind: 'string'; pattern?: RegExp; hint?: string }
  | { kind: 'boolean' }
  | { kind: 'integer'; min?: number; max?: number }
  | { kind: 'duration' }
  | { kind: 'array'; of: Shape; minItems?: number }
  | { kind: 'map'; of: Shape }
  | {
      kind: 'object';
      fields: Record<string, Shape>;
      required?: string[];
      oneOf?: string[][];
      outputOnly?: string[];
    };

export const str = (pattern?: RegExp, hint?: string): Shape =>
  pattern ? { kind: 'string', pattern, ...(hint ? { hint } : {}) } : { kind: 'string' };
export const bool: Shape = { kind: 'boolean' };
export const int = (min?: number, max?: number): Shape => ({
  kind: 'integer',
  ...(min !== undefined ? { min } : {}),
  ...(max !== undefined ? { max } : {}),
});
/** Protobuf Duration as YAML writes it: "5s", "0.5s", "1.000000001s". */
export const duration: Shape = { kind: 'duration' };
export const arr = (of: Shape, minItems?: number): Shape => ({
  kind: 'array',
  of,
  ...(minItems !== undefined ? { minItems } : {}),
});
export const map = (of: Shape): Shape => ({ kind: 'map', of });
export const obj = (
  fields: Record<string, Shape>,
  extra: { required?: string[]; oneOf?: string[][]; outputOnly?: string[] } = {},
): Shape => ({ kind: 'object', fields, ...extra });

export interface ShapeError {
  path: string;
  message: string;
}

const DURATION = /^\d+(\.\d{1,9})?s$/;

export function checkShape(value: unknown, shape: Shape, path = ''): ShapeError[] {
  const at = (message: string): ShapeError[] => [{ path: path || '(document)', message }];
  switch (shape.kind) {
    case 'string':
      if (typeof value !== 'string') return at(`expected a string, got ${describe(value)}`);
      if (shape.pattern && !shape.pattern.test(value))
        return at(shape.hint ?? `does not match ${shape.pattern}`);
      return [];
    case 'boolean':
      return typeof value === 'boolean' ? [] : at(`expected true or false, got ${describe(value)}`);
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value))
        return at(`expected an integer, got ${describe(value)}`);
      if (shape.min !== undefined && value < shape.min)
        return at(`must be at least ${shape.min}, got ${value}`);
      if (shape.max !== undefined && value > shape.max)
        return at(`must be at most ${shape.max}, got ${value}`);
      return [];
    case 'duration':
      return typeof value === 'string' && DURATION.test(value)
        ? []
        : at(`expected a duration like "5s" or "0.5s", got ${describe(value)}`);
    case 'array': {
      if (!Array.isArray(value)) return at(`expected a list, got ${describe(value)}`);
      if (shape.minItems !== undefined && value.length < shape.minItems) {
        return at(`needs at least ${shape.minItems} item${shape.minItems === 1 ? '' : 's'}`);
      }
      return value.flatMap((item, i) => checkShape(item, shape.of, `${path}[${i}]`));
    }
    case 'map': {
      if (!isPlainObject(value)) return at(`expected a mapping, got ${describe(value)}`);
      return Object.entries(value).flatMap(([k, v]) => checkShape(v, shape.of, join(path, k)));
    }
    case 'object': {
      if (!isPlainObject(value)) return at(`expected a mapping, got ${describe(value)}`);
      const errors: ShapeError[] = [];
      for (const [key, v] of Object.entries(value)) {
        const field = shape.fields[key];
        if (shape.outputOnly?.includes(key)) {
          errors.push({
            path: join(path, key),
            message: 'output-only field: the API sets it, remove it from the file',
          });
        } else if (!field) {
          const known = Object.keys(shape.fields).join(', ');
          errors.push({ path: join(path, key), message: `unknown field (known here: ${known})` });
        } else {
          errors.push(...checkShape(v, field, join(path, key)));
        }
      }
      for (const key of shape.required ?? []) {
        if (!(key in value)) errors.push({ path: join(path, key), message: 'required field is missing' });
      }
      for (const group of shape.oneOf ?? []) {
        const present = group.filter((k) => k in value);
        if (present.length > 1) {
          errors.push({
            path: path || '(document)',
            message: `set only one of ${group.join(', ')} (found ${present.join(', ')})`,
          });
        }
      }
      return errors;
    }
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}
