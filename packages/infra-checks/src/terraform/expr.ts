import type { ExpressionType } from '@cdktn/hcl2json/build/syntax-tree.js';
import { anyUnknown, builtins, sortedEntries, toSet } from './functions.ts';
import type { Template, TerraformModule } from './module.ts';
import {
  asString,
  deepEqual,
  describe,
  InstanceRef,
  isObject,
  ResourceRef,
  Unknown,
  type Value,
} from './values.ts';

/**
 * Evaluates Terraform expressions offline, the way `terraform plan` would before touching an API:
 * variables, locals, for expressions, functions, each/count — with resource attributes resolved
 * from their configuration where it sets them, and left as `Unknown` otherwise.
 */
export interface ResourceResolver {
  /** Instance keys of a resource: null for a single instance, else for_each/count keys. */
  instanceKeys(type: string, name: string): (string | number)[] | null;
  /** A configured attribute of an instance, or undefined if the configuration does not set it. */
  attribute(ref: InstanceRef, attr: string): Value | undefined;
}

export class Evaluator {
  readonly mod: TerraformModule;
  readonly variables: Record<string, Value>;
  resolver: ResourceResolver | undefined;
  private readonly fns: ReturnType<typeof builtins>;
  private readonly locals = new Map<string, Value>();
  private readonly evaluating = new Set<string>();
  private readonly resourceTypes: Set<string>;

  constructor(mod: TerraformModule, variableValues: Record<string, Value> = {}) {
    this.mod = mod;
    this.fns = builtins(mod.dir);
    this.resourceTypes = new Set(mod.resources.map((r) => r.type));
    this.variables = {};
    for (const [name, body] of mod.variables) {
      if (name in variableValues) this.variables[name] = variableValues[name];
      else if ('default' in body) this.variables[name] = this.value(body.default, new Map());
      else this.variables[name] = new Unknown(`var.${name}`);
    }
  }

  local(name: string): Value {
    if (this.locals.has(name)) return this.locals.get(name);
    if (!this.mod.locals.has(name)) throw new Error(`no local value "${name}"`);
    if (this.evaluating.has(name)) throw new Error(`local.${name} refers to itself`);
    this.evaluating.add(name);
    try {
      const v = this.value(this.mod.locals.get(name), new Map());
      this.locals.set(name, v);
      return v;
    } finally {
      this.evaluating.delete(name);
    }
  }

  /** A value from the JSON form (string templates, lists, objects) in a scope of names. */
  value(raw: unknown, scope: Map<string, Value>): Value {
    if (typeof raw === 'string') {
      const template = this.mod.templates.get(raw);
      return template ? this.template(template, scope) : raw.replaceAll('$${', '${').replaceAll('%%{', '%{');
    }
    if (Array.isArray(raw)) return raw.map((r) => this.value(r, scope));
    if (raw && typeof raw === 'object') {
      return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, this.value(v, scope)]));
    }
    return raw;
  }

  template(parts: Template, scope: Map<string, Value>): Value {
    const [only] = parts;
    if (parts.length === 1 && only !== undefined && typeof only !== 'string') return this.expr(only, scope);
    return parts.map((p) => (typeof p === 'string' ? p : asString(this.expr(p, scope)))).join('');
  }

  expr(node: ExpressionType, scope: Map<string, Value>): Value {
    const kids = node.children;
    const child = (i: number): ExpressionType => {
      const c = kids[i];
      if (!c) throw new Error(`malformed ${node.type} expression`);
      return c;
    };
    switch (node.type) {
      case 'literalValue': {
        const { type, value } = node.meta;
        if (type === 'number') return Number(value);
        if (type === 'bool') return value === 'true';
        if (value === 'null') return null;
        return unescapeHcl(value);
      }
      case 'template':
        return kids
          .map((k) => (k.type === 'literalValue' ? unescapeHcl(k.meta.value) : asString(this.expr(k, scope))))
          .join('');
      case 'templateWrap':
        return this.expr(child(0), scope);
      case 'tuple':
        return kids.map((k) => this.expr(k, scope));
      case 'object':
        return this.object(node, scope);
      case 'scopeTraversal':
        return this.traverse(
          this.root(node.meta.traversal[0]?.segment ?? '', scope),
          node.meta.traversal.slice(1),
        );
      case 'relativeTraversal':
        return this.traverse(this.expr(child(0), scope), node.meta.traversal);
      case 'index':
        return index(this.expr(child(0), scope), this.expr(child(1), scope), this.resolver);
      case 'function':
        // Typed as a string in the bridge's .d.ts, but a boolean at run time.
        return this.call(node.meta.name, kids, String(node.meta.expandedFinalArgument) === 'true', scope);
      case 'conditional': {
        const cond = this.expr(child(0), scope);
        if (cond instanceof Unknown) return new Unknown(`(${node.meta.value})`);
        return this.expr(child(cond === true ? 1 : 2), scope);
      }
      case 'binaryOp':
        return binary(node.meta.operator, this.expr(child(0), scope), this.expr(child(1), scope));
      case 'unaryOp': {
        const v = this.expr(child(0), scope);
        if (v instanceof Unknown) return v;
        return node.meta.operator === 'logicalNot' ? !v : -Number(v);
      }
      case 'for':
        return this.forExpr(node, scope);
      case 'splat': {
        const source = this.expr(child(0), scope);
        const items = source === null ? [] : Array.isArray(source) ? source : [source];
        const each = child(1);
        if (each.type !== 'relativeTraversal') return items;
        return items.map((item) => this.traverse(item, each.meta.traversal));
      }
      default:
        // Parentheses come through as an untyped node around the inner expression.
        if (kids.length === 1) return this.expr(child(0), scope);
        throw new Error(`unsupported expression: ${(node as { meta?: { value?: string } }).meta?.value}`);
    }
  }

  private object(node: Extract<ExpressionType, { type: 'object' }>, scope: Map<string, Value>): Value {
    const out: Record<string, Value> = {};
    const source = node.meta.value;
    const start = node.range.start.byte;
    for (let i = 0; i + 1 < node.children.length; i += 2) {
      const keyNode = node.children[i] as ExpressionType;
      const valueNode = node.children[i + 1] as ExpressionType;
      let key: string;
      if (keyNode.children.length > 0)
        key = asString(this.expr(keyNode.children[0] as ExpressionType, scope));
      else {
        // A bare identifier (or a quoted string) key: its text, by its range in the source.
        key = source
          .slice(keyNode.range.start.byte - start, keyNode.range.end.byte - start)
          .replace(/^"|"$/g, '');
      }
      out[key] = this.expr(valueNode, scope);
    }
    return out;
  }

  private root(name: string, scope: Map<string, Value>): Value {
    if (scope.has(name)) return scope.get(name);
    switch (name) {
      case 'var':
        return this.variables;
      case 'local':
        return new LocalsView(this);
      case 'path':
        return { module: this.mod.dir, root: this.mod.dir, cwd: this.mod.dir };
      case 'terraform':
        return { workspace: 'default' };
      case 'data':
        return new Unknown('data');
      default:
        if (this.resourceTypes.has(name)) return new ResourceType(name);
        throw new Error(`unknown name "${name}"`);
    }
  }

  private traverse(start: Value, steps: readonly { type: string; segment: string }[]): Value {
    let v = start;
    for (const step of steps) {
      if (step.type === 'nameTraversal') v = attribute(v, step.segment, this.resolver);
      else v = index(v, JSON.parse(step.segment) as Value, this.resolver);
    }
    return v;
  }

  private call(name: string, args: ExpressionType[], expand: boolean, scope: Map<string, Value>): Value {
    if (name === 'can' || name === 'try') return this.lazy(name, args, scope);
    const fn = this.fns[name];
    if (!fn) throw new Error(`function ${name}() is not supported by the offline evaluator`);
    let values = args.map((a) => this.expr(a, scope));
    if (expand) {
      const last = values.pop();
      if (!Array.isArray(last)) throw new Error(`${name}(…...): the expanded argument must be a list`);
      values = [...values, ...last];
    }
    const unknown = anyUnknown(values);
    if (unknown && name !== 'merge' && name !== 'concat') return new Unknown(`${name}(…${unknown.ref}…)`);
    return fn(values);
  }

  private lazy(name: 'can' | 'try', args: ExpressionType[], scope: Map<string, Value>): Value {
    for (const a of args) {
      try {
        const v = this.expr(a, scope);
        return name === 'can' ? true : v;
      } catch (err) {
        if (name === 'can') return false;
        if (a === args[args.length - 1]) throw err;
      }
    }
    throw new Error('try() needs at least one argument');
  }

  private forExpr(node: Extract<ExpressionType, { type: 'for' }>, scope: Map<string, Value>): Value {
    const m = node.meta;
    const kids = node.children;
    const collection = this.expr(kids[0] as ExpressionType, scope);
    const hasKey = Boolean(m.keyExpression);
    const keyNode = hasKey ? kids[1] : undefined;
    const valueNode = kids[hasKey ? 2 : 1] as ExpressionType;
    const condNode = m.conditionalExpression ? kids[hasKey ? 3 : 2] : undefined;
    const entries = iterate(collection, this.resolver);
    const isObjectFor = m.openRangeValue === '{';
    const list: Value[] = [];
    const map: Record<string, Value> = {};
    for (const [k, v] of entries) {
      const inner = new Map(scope);
      if (m.keyVar) inner.set(m.keyVar, k);
      inner.set(m.valVar, v);
      if (condNode) {
        const keep = this.expr(condNode, inner);
        if (keep instanceof Unknown)
          throw new Error(`for-expression condition unknown until apply: ${m.value}`);
        if (keep !== true) continue;
      }
      const value = this.expr(valueNode, inner);
      if (!isObjectFor) {
        list.push(value);
        continue;
      }
      const key = asString(this.expr(keyNode as ExpressionType, inner));
      if (m.groupedValue) {
        const group = (map[key] ?? []) as Value[];
        group.push(value);
        map[key] = group;
      } else if (key in map) throw new Error(`duplicate key "${key}" in ${m.value}`);
      else map[key] = value;
    }
    return isObjectFor ? map : list;
  }
}

/** `local.x` resolves lazily so locals can refer to each other in any order. */
class LocalsView {
  readonly evaluator: Evaluator;
  constructor(evaluator: Evaluator) {
    this.evaluator = evaluator;
  }
}

/** `google_x` before the resource name is read. */
class ResourceType {
  readonly type: string;
  constructor(type: string) {
    this.type = type;
  }
}

function attribute(v: Value, name: string, resolver: ResourceResolver | undefined): Value {
  if (v instanceof LocalsView) return v.evaluator.local(name);
  if (v instanceof Unknown) return new Unknown(`${v.ref}.${name}`);
  if (v instanceof ResourceType) return new ResourceRef(v.type, name);
  if (v instanceof ResourceRef) {
    if (resolver?.instanceKeys(v.type, v.name) !== null) {
      throw new Error(`${v.type}.${v.name} has several instances: index it before reading .${name}`);
    }
    return attribute(new InstanceRef(v.type, v.name, null), name, resolver);
  }
  if (v instanceof InstanceRef) {
    const configured = resolver?.attribute(v, name);
    return configured === undefined ? new Unknown(`${v.address}.${name}`) : configured;
  }
  if (isObject(v)) {
    if (!(name in v)) throw new Error(`no attribute "${name}" (has ${Object.keys(v).join(', ') || 'none'})`);
    return v[name];
  }
  throw new Error(`cannot read .${name} of ${describe(v)}`);
}

function index(v: Value, key: Value, resolver: ResourceResolver | undefined): Value {
  if (v instanceof Unknown) return new Unknown(`${v.ref}[${JSON.stringify(key)}]`);
  if (key instanceof Unknown) return new Unknown(`[${key.ref}]`);
  if (v instanceof ResourceRef) {
    const keys = resolver?.instanceKeys(v.type, v.name);
    if (keys && !keys.includes(key as string | number)) {
      throw new Error(`${v.type}.${v.name} has no instance ${JSON.stringify(key)}`);
    }
    return new InstanceRef(v.type, v.name, key as string | number);
  }
  if (Array.isArray(v)) {
    const i = Number(key);
    if (!Number.isInteger(i) || i < 0 || i >= v.length) throw new Error(`index ${String(key)} out of range`);
    return v[i];
  }
  if (isObject(v)) {
    const k = asString(key);
    if (!(k in v))
      throw new Error(`no key ${JSON.stringify(k)} (has ${Object.keys(v).join(', ') || 'none'})`);
    return v[k];
  }
  throw new Error(`cannot index ${describe(v)}`);
}

function iterate(collection: Value, resolver: ResourceResolver | undefined): [Value, Value][] {
  if (Array.isArray(collection)) return collection.map((v, i) => [i, v]);
  if (collection instanceof ResourceRef) {
    const keys = resolver?.instanceKeys(collection.type, collection.name) ?? [];
    return keys.map((k) => [k, new InstanceRef(collection.type, collection.name, k)]);
  }
  if (isObject(collection)) return sortedEntries(collection);
  throw new Error(`cannot iterate over ${describe(collection)}`);
}

function binary(op: string, a: Value, b: Value): Value {
  if (op === 'equal')
    return a instanceof Unknown || b instanceof Unknown ? new Unknown('==') : deepEqual(a, b);
  if (op === 'notEqual')
    return a instanceof Unknown || b instanceof Unknown ? new Unknown('!=') : !deepEqual(a, b);
  if (a instanceof Unknown) return a;
  if (b instanceof Unknown) return b;
  switch (op) {
    case 'logicalAnd':
      return a === true && b === true;
    case 'logicalOr':
      return a === true || b === true;
    case 'lessThan':
      return Number(a) < Number(b);
    case 'lessThanOrEqual':
      return Number(a) <= Number(b);
    case 'greaterThan':
      return Number(a) > Number(b);
    case 'greaterThanOrEqual':
      return Number(a) >= Number(b);
    case 'add':
      return Number(a) + Number(b);
    case 'subtract':
      return Number(a) - Number(b);
    case 'multiply':
      return Number(a) * Number(b);
    case 'divide':
      return Number(a) / Number(b);
    case 'modulo':
      return Number(a) % Number(b);
    default:
      throw new Error(`unsupported operator ${op}`);
  }
}

/** Template literal parts arrive as source text: undo HCL's string escapes. */
function unescapeHcl(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => {
    if (c.startsWith('u') && c.length === 5) return String.fromCharCode(Number.parseInt(c.slice(1), 16));
    return ({ n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' } as Record<string, string>)[c] ?? c;
  });
}

export { toSet };
