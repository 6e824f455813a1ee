import { Evaluator, type ResourceResolver } from './expr.ts';
import { sortedEntries } from './functions.ts';
import type { Body, Resource, TerraformModule } from './module.ts';
import { describe, type InstanceRef, instanceAddress, isObject, Unknown, type Value } from './values.ts';

/** One resource instance as `terraform plan` would list it, with its evaluated configuration. */
export interface Instance {
  resource: Resource;
  key: string | number | null;
  address: string;
  /** Evaluated arguments and blocks (blocks as lists), dynamic blocks expanded, meta-arguments removed. */
  config: Record<string, Value>;
  provider: string;
  dependsOn: string[];
  ignoreChanges: string[];
}

export interface PlanError {
  address: string;
  message: string;
}

const META = new Set([
  'for_each',
  'count',
  'provider',
  'lifecycle',
  'depends_on',
  'provisioner',
  'connection',
]);

/**
 * The offline plan: every resource expanded over its for_each/count, each instance's configuration
 * evaluated. References between resources resolve to the referenced instance's configured value
 * (e.g. a Cloud Run service's `name`), so cross-checks see real names, not expressions.
 */
export class Plan implements ResourceResolver {
  readonly evaluator: Evaluator;
  readonly errors: PlanError[] = [];
  private readonly keys = new Map<Resource, (string | number)[] | null>();
  private readonly resolving = new Set<string>();
  private instanceList: Instance[] | undefined;

  constructor(mod: TerraformModule, variables: Record<string, Value> = {}) {
    this.evaluator = new Evaluator(mod, variables);
    this.evaluator.resolver = this;
  }

  get module(): TerraformModule {
    return this.evaluator.mod;
  }

  instances(): Instance[] {
    if (this.instanceList) return this.instanceList;
    const all: Instance[] = [];
    for (const resource of this.module.resources) {
      const keys = this.keysOf(resource);
      for (const key of keys ?? [null]) all.push(this.instance(resource, key));
    }
    this.instanceList = all;
    return all;
  }

  ofType(type: string): Instance[] {
    return this.instances().filter((i) => i.resource.type === type);
  }

  instanceKeys(type: string, name: string): (string | number)[] | null {
    return this.keysOf(this.find(type, name));
  }

  attribute(ref: InstanceRef, attr: string): Value | undefined {
    const resource = this.find(ref.type, ref.name);
    const raw = resource.body[attr];
    if (raw === undefined || META.has(attr) || isBlockList(raw)) return undefined;
    const address = `${ref.address}.${attr}`;
    if (this.resolving.has(address)) throw new Error(`${address} refers to itself`);
    this.resolving.add(address);
    try {
      return this.evaluator.value(raw, this.scope(resource, ref.key));
    } finally {
      this.resolving.delete(address);
    }
  }

  private find(type: string, name: string): Resource {
    const r = this.module.resources.find((x) => x.type === type && x.name === name);
    if (!r) throw new Error(`no resource ${type}.${name}`);
    return r;
  }

  private keysOf(resource: Resource): (string | number)[] | null {
    if (this.keys.has(resource)) return this.keys.get(resource) ?? null;
    let keys: (string | number)[] | null = null;
    const { for_each: forEach, count } = resource.body;
    try {
      if (forEach !== undefined) keys = forEachKeys(this.evaluator.value(forEach, new Map()));
      else if (count !== undefined) {
        const n = this.evaluator.value(count, new Map());
        if (typeof n !== 'number') throw new Error(`count must be a number, got ${describe(n)}`);
        keys = Array.from({ length: n }, (_, i) => i);
      }
    } catch (err) {
      this.errors.push({ address: `${resource.type}.${resource.name}`, message: (err as Error).message });
      keys = [];
    }
    this.keys.set(resource, keys);
    return keys;
  }

  private scope(resource: Resource, key: string | number | null): Map<string, Value> {
    const scope = new Map<string, Value>();
    const { for_each: forEach, count } = resource.body;
    if (forEach !== undefined && key !== null) {
      const collection = this.evaluator.value(forEach, new Map());
      const value = isObject(collection) ? collection[String(key)] : key;
      scope.set('each', { key, value });
    } else if (count !== undefined) scope.set('count', { index: key });
    return scope;
  }

  private instance(resource: Resource, key: string | number | null): Instance {
    const address = instanceAddress(resource.type, resource.name, key);
    const scope = this.scope(resource, key);
    const lifecycle = (resource.body.lifecycle as Body[] | undefined)?.[0];
    return {
      resource,
      key,
      address,
      config: this.block(resource.body, scope, address),
      provider: reference(resource.body.provider) ?? resource.type.split('_')[0] ?? '',
      dependsOn: ((resource.body.depends_on as string[] | undefined) ?? []).map((d) => reference(d) ?? d),
      ignoreChanges: ((lifecycle?.ignore_changes as string[] | undefined) ?? []).map(
        (d) => reference(d) ?? d,
      ),
    };
  }

  private block(body: Body, scope: Map<string, Value>, path: string): Record<string, Value> {
    const out: Record<string, Value> = {};
    for (const [name, raw] of Object.entries(body)) {
      if (META.has(name)) continue;
      try {
        if (name === 'dynamic') this.dynamic(raw as Record<string, Body[]>, scope, path, out);
        else if (isBlockList(raw)) {
          // Static blocks join any dynamic ones of the same type (the parser may list those first).
          const list = (out[name] ?? []) as Value[];
          out[name] = [
            ...list,
            ...raw.map((b, i) => this.block(b, scope, `${path}.${name}[${list.length + i}]`)),
          ];
        } else out[name] = this.evaluator.value(raw, scope);
      } catch (err) {
        this.errors.push({ address: `${path}.${name}`, message: (err as Error).message });
      }
    }
    return out;
  }

  private dynamic(
    blocks: Record<string, Body[]>,
    scope: Map<string, Value>,
    path: string,
    out: Record<string, Value>,
  ): void {
    for (const [name, specs] of Object.entries(blocks)) {
      for (const spec of specs) {
        const iterator = typeof spec.iterator === 'string' ? spec.iterator : name;
        const collection = this.evaluator.value(spec.for_each, scope);
        if (collection instanceof Unknown) throw new Error(`dynamic "${name}": for_each unknown until apply`);
        const entries: [Value, Value][] = Array.isArray(collection)
          ? collection.map((v, i) => [i, v])
          : isObject(collection)
            ? sortedEntries(collection)
            : [];
        const list = (out[name] ?? []) as Value[];
        out[name] = list;
        for (const [k, v] of entries) {
          const inner = new Map(scope).set(iterator, { key: k, value: v });
          const content = (spec.content as Body[] | undefined)?.[0] ?? {};
          list.push(this.block(content, inner, `${path}.${name}[${list.length}]`));
        }
      }
    }
  }
}

function forEachKeys(collection: Value): string[] {
  if (collection instanceof Unknown) throw new Error(`for_each unknown until apply (${collection.ref})`);
  if (Array.isArray(collection)) {
    if (!collection.every((k) => typeof k === 'string')) throw new Error('for_each over a set needs strings');
    return [...new Set(collection as string[])].sort();
  }
  if (isObject(collection)) return Object.keys(collection).sort();
  throw new Error(`for_each needs a map or a set of strings, got ${describe(collection)}`);
}

/** A nested block list in the JSON form: a list of objects (attributes are never raw objects in lists). */
function isBlockList(raw: unknown): raw is Body[] {
  return Array.isArray(raw) && raw.length > 0 && raw.every((b) => isObject(b));
}

/** `${google-beta}` → `google-beta`: meta-arguments hold references, not values. */
function reference(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const m = /^\$\{(.*)\}$/s.exec(raw);
  return m ? (m[1] ?? '').trim() : raw;
}
