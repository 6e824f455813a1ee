/**
 * Values of the offline evaluator. Plain JSON-like values where Terraform would know them at plan
 * time; `Unknown` where only apply knows (an id, an email, a data source), carrying the reference
 * so a check can still say *what* it refers to.
 */
export class Unknown {
  readonly ref: string;
  constructor(ref: string) {
    this.ref = ref;
  }
  toString(): string {
    return `\${${this.ref}}`;
  }
}

/** `google_x.name` before an instance is chosen. */
export class ResourceRef {
  readonly type: string;
  readonly name: string;
  constructor(type: string, name: string) {
    this.type = type;
    this.name = name;
  }
}

/** `google_x.name["key"]` (key null for a resource without for_each/count). */
export class InstanceRef {
  readonly type: string;
  readonly name: string;
  readonly key: string | number | null;
  constructor(type: string, name: string, key: string | number | null) {
    this.type = type;
    this.name = name;
    this.key = key;
  }
  get address(): string {
    return instanceAddress(this.type, this.name, this.key);
  }
}

export function instanceAddress(type: string, name: string, key: string | number | null): string {
  if (key === null) return `${type}.${name}`;
  return `${type}.${name}[${JSON.stringify(key)}]`;
}

export type Value = unknown;

/** A map/object value (plain objects only: references and unknowns are class instances). */
export function isObject(v: Value): v is Record<string, Value> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Terraform-style string conversion; unknowns become `${ref}` so they stay visible in checks. */
export function asString(v: Value): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Unknown) return v.toString();
  if (v instanceof InstanceRef) return `\${${v.address}}`;
  throw new Error(`cannot use ${describe(v)} as a string`);
}

export function describe(v: Value): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Unknown) return `(known after apply) ${v.ref}`;
  if (v instanceof ResourceRef) return `resource ${v.type}.${v.name}`;
  if (v instanceof InstanceRef) return `resource ${v.address}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

export function deepEqual(a: Value, b: Value): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: Value): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v)) {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  if (v instanceof Unknown) return `unknown:${v.ref}`;
  return JSON.stringify(v) ?? 'undefined';
}
