import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import ipaddr from 'ipaddr.js';
import { parse as parseYaml } from 'yaml';
import { asString, deepEqual, describe, isObject, Unknown, type Value } from './values.ts';

/**
 * The Terraform built-in functions the meshapps configuration uses (and a few neighbours), with
 * Terraform's semantics where they matter: sets are sorted and de-duplicated, maps iterate in key
 * order, and an unknown argument makes the result unknown. `can`/`try` live in expr.ts (lazy).
 */
type Fn = (args: Value[]) => Value;

const list = (v: Value, fn: string): Value[] => {
  if (Array.isArray(v)) return v;
  throw new Error(`${fn}: expected a list, got ${describe(v)}`);
};
const obj = (v: Value, fn: string): Record<string, Value> => {
  if (isObject(v)) return v;
  throw new Error(`${fn}: expected a map or object, got ${describe(v)}`);
};
const str = (v: Value, fn: string): string => {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Error(`${fn}: expected a string, got ${describe(v)}`);
};

export function toSet(items: Value[]): Value[] {
  const out: Value[] = [];
  for (const item of items) if (!out.some((o) => deepEqual(o, item))) out.push(item);
  return out.every((x) => typeof x === 'string') ? (out as string[]).sort() : out;
}

export function sortedEntries(o: Record<string, Value>): [string, Value][] {
  return Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** fileset(): glob with `*`, `**`, `?` and `{a,b}`, relative paths, sorted. */
function fileset(dir: string, pattern: string): string[] {
  const alternatives = expandBraces(pattern);
  const regexes = alternatives.map(globToRegex);
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else files.push(relative(dir, full));
    }
  };
  walk(dir);
  return files.filter((f) => regexes.some((r) => r.test(f))).sort();
}

function expandBraces(pattern: string): string[] {
  const m = /\{([^{}]*)\}/.exec(pattern);
  if (!m) return [pattern];
  const options = (m[1] ?? '').split(',');
  return options.flatMap((o) =>
    expandBraces(pattern.slice(0, m.index) + o + pattern.slice(m.index + m[0].length)),
  );
}

function globToRegex(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (glob.startsWith('**/', i)) {
      re += '(?:.*/)?';
      i += 2;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** An IPv4 address in strict dotted-decimal form (as Terraform reads it), else an error. */
function ipv4(ip: string): ipaddr.IPv4 {
  if (!ipaddr.IPv4.isValidFourPartDecimal(ip)) throw new Error(`"${ip}" is not an IPv4 address`);
  return ipaddr.IPv4.parse(ip);
}

function toInt(address: ipaddr.IPv4): number {
  return address.toByteArray().reduce((acc, byte) => acc * 256 + byte, 0);
}

function fromInt(n: number): string {
  return ipaddr.fromByteArray([24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256)).toString();
}

/** The network and size of an IPv4 CIDR (ipaddr.js), or an error as Terraform's cidr functions would give. */
export function parseCidr(cidr: string): { base: number; size: number; prefix: number } {
  const [ip = '', bits] = cidr.split('/');
  ipv4(ip);
  let prefix: number;
  try {
    prefix = ipaddr.IPv4.parseCIDR(cidr)[1];
  } catch {
    throw new Error(`"${cidr}" is not a CIDR`);
  }
  if (bits !== String(prefix)) throw new Error(`"${cidr}" is not a CIDR`);
  return { base: toInt(ipaddr.IPv4.networkAddressFromCIDR(cidr)), size: 2 ** (32 - prefix), prefix };
}

export function cidrContains(cidr: string, ip: string): boolean {
  parseCidr(cidr);
  return ipv4(ip).match(ipaddr.IPv4.parseCIDR(cidr));
}

export function builtins(moduleDir: string): Record<string, Fn> {
  return {
    file: ([p]) => readFileSync(resolvePath(moduleDir, str(p, 'file')), 'utf8'),
    fileset: ([d, p]) => fileset(resolvePath(moduleDir, str(d, 'fileset')), str(p, 'fileset')),
    yamldecode: ([t]) => parseYaml(str(t, 'yamldecode')) as Value,
    jsondecode: ([t]) => JSON.parse(str(t, 'jsondecode')) as Value,
    jsonencode: ([v]) => JSON.stringify(v),
    basename: ([p]) => basename(str(p, 'basename')),
    dirname: ([p]) => dirname(str(p, 'dirname')),
    merge: (args) => Object.assign({}, ...args.filter((a) => a !== null).map((a) => obj(a, 'merge'))),
    flatten: ([l]) => list(l, 'flatten').flat(Number.POSITIVE_INFINITY),
    toset: ([l]) => toSet(list(l, 'toset')),
    tolist: ([l]) => list(l, 'tolist'),
    tomap: ([o]) => obj(o, 'tomap'),
    keys: ([o]) => sortedEntries(obj(o, 'keys')).map(([k]) => k),
    values: ([o]) => sortedEntries(obj(o, 'values')).map(([, v]) => v),
    length: ([v]) => {
      if (typeof v === 'string') return [...v].length;
      if (Array.isArray(v)) return v.length;
      return Object.keys(obj(v, 'length')).length;
    },
    concat: (args) => args.flatMap((a) => list(a, 'concat')),
    distinct: ([l]) => list(l, 'distinct').filter((x, i, all) => all.findIndex((y) => deepEqual(x, y)) === i),
    contains: ([l, v]) => list(l, 'contains').some((x) => deepEqual(x, v)),
    lookup: ([o, k, d]) => {
      const m = obj(o, 'lookup');
      const key = str(k, 'lookup');
      if (key in m) return m[key];
      if (d === undefined) throw new Error(`lookup: no key "${key}" and no default`);
      return d;
    },
    one: ([l]) => {
      const items = list(l, 'one');
      if (items.length > 1) throw new Error(`one: must have zero or one elements, has ${items.length}`);
      return items[0] ?? null;
    },
    setproduct: (args) =>
      args.reduce<Value[][]>(
        (acc, a) => acc.flatMap((prefix) => list(a, 'setproduct').map((x) => [...prefix, x])),
        [[]],
      ),
    element: ([l, i]) => {
      const items = list(l, 'element');
      return items[Number(i) % items.length];
    },
    split: ([sep, s]) => str(s, 'split').split(str(sep, 'split')),
    join: ([sep, l]) =>
      list(l, 'join')
        .map((x) => asString(x))
        .join(str(sep, 'join')),
    replace: ([s, from, to]) => str(s, 'replace').split(str(from, 'replace')).join(str(to, 'replace')),
    lower: ([s]) => str(s, 'lower').toLowerCase(),
    upper: ([s]) => str(s, 'upper').toUpperCase(),
    startswith: ([s, p]) => str(s, 'startswith').startsWith(str(p, 'startswith')),
    endswith: ([s, p]) => str(s, 'endswith').endsWith(str(p, 'endswith')),
    trimprefix: ([s, p]) => {
      const text = str(s, 'trimprefix');
      const prefix = str(p, 'trimprefix');
      return text.startsWith(prefix) ? text.slice(prefix.length) : text;
    },
    trimsuffix: ([s, p]) => {
      const text = str(s, 'trimsuffix');
      const suffix = str(p, 'trimsuffix');
      return text.endsWith(suffix) ? text.slice(0, text.length - suffix.length) : text;
    },
    tostring: ([v]) => (v === null ? null : asString(v)),
    tonumber: ([v]) => {
      const n = Number(v);
      if (v === null || v === '' || Number.isNaN(n))
        throw new Error(`tonumber: cannot convert ${describe(v)}`);
      return n;
    },
    regex: ([p, s]) => {
      const m = new RegExp(str(p, 'regex')).exec(str(s, 'regex'));
      if (!m) throw new Error(`regex: no match for ${JSON.stringify(p)}`);
      return m.length > 1 ? m.slice(1) : m[0];
    },
    alltrue: ([l]) => list(l, 'alltrue').every((x) => x === true),
    anytrue: ([l]) => list(l, 'anytrue').some((x) => x === true),
    coalesce: (args) => args.find((a) => a !== null && a !== '') ?? null,
    cidrhost: ([c, n]) => {
      const { base, size } = parseCidr(str(c, 'cidrhost'));
      const i = Number(n);
      if (!Number.isInteger(i) || i >= size) throw new Error('cidrhost: host number out of range');
      return fromInt(base + i);
    },
    format: ([f, ...args]) => {
      let i = 0;
      return str(f, 'format').replace(/%[sdv%]/g, (m) => (m === '%%' ? '%' : asString(args[i++])));
    },
  };
}

function resolvePath(moduleDir: string, p: string): string {
  return p.startsWith('/') ? p : join(moduleDir, p);
}

/** Functions whose result is unknown when any argument is unknown. */
export function anyUnknown(args: Value[]): Unknown | undefined {
  return args.find((a): a is Unknown => a instanceof Unknown);
}
