// The HttpRoute zod schema (the one declaration of the shape, decision 040) held to gcloud's own
// import schema, the JSON-schema files `gcloud network-services http-routes import` validates
// with. For every property of every HttpRoute* schema, generated documents (the property set
// alone, each wrong JSON type, each enum value and one outside it, a required field left out, an
// unknown field) must get the same verdict from our check as from ajv loaded with gcloud's files,
// and each refusal must carry the schema's reason at the schema's path. Where we are stricter, the
// API reference says so, and STRICTER lists each place (decision 065).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { z } from 'zod';
import { checkShape, HTTP_ROUTE } from '../src/index.ts';

const SDK_ROOT = execFileSync('gcloud', ['info', '--format=value(installation.sdk_root)'], {
  encoding: 'utf8',
}).trim();
const SCHEMA_DIR = join(SDK_ROOT, 'lib/googlecloudsdk/schemas/networkservices/v1');

type Schema = {
  type?: string;
  enum?: string[];
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  $ref?: string;
  // gcloud writes a map's value type as `additionalProperties: {key: …, value: …}`: not JSON
  // Schema keywords (its jsonschema ignores them); apitools enforces the value type on import.
  key?: Schema;
  value?: Schema;
};

/** gcloud's files, each under its file name, with the map convention read as gcloud applies it. */
function loadSchemas(): Map<string, Schema> {
  const schemas = new Map<string, Schema>();
  const pending = ['HttpRoute.yaml'];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (schemas.has(name)) continue;
    const schema = parse(readFileSync(join(SCHEMA_DIR, name), 'utf8')) as Schema;
    const visit = (s: Schema) => {
      if (s.$ref) pending.push(s.$ref);
      if (typeof s.additionalProperties === 'object' && s.additionalProperties.value) {
        s.additionalProperties = s.additionalProperties.value;
      }
      for (const p of Object.values(s.properties ?? {})) visit(p);
      if (s.items) visit(s.items);
    };
    visit(schema);
    schemas.set(name, schema);
  }
  return schemas;
}

const schemas = loadSchemas();
const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addMetaSchema(createRequire(import.meta.url)('ajv/dist/refs/json-schema-draft-06.json'));
for (const [name, schema] of schemas) ajv.addSchema({ ...schema, $id: name }, name);
const gcloudValidate = ajv.getSchema('HttpRoute.yaml') as NonNullable<ReturnType<typeof ajv.getSchema>>;

/** Fields of gcloud's export bookkeeping, at every level: tested on their own below. */
const BOOKKEEPING = new Set(['COMMENT', 'UNKNOWN']);

/** A valid value for a string or number field, by name: our schema also checks the API's formats. */
const SAMPLES: Record<string, unknown> = {
  name: 'route-x',
  hostnames: 'x.meshapps.internal',
  timeout: '5s',
  idleTimeout: '5s',
  perTryTimeout: '1s',
  fixedDelay: '2s',
  cookieTtl: '60s',
  prefixMatch: '/x',
  retryConditions: '5xx',
  bytesBody: 'aGk=',
  httpStatus: 503,
  status: 200,
  percentage: 50,
  portRedirect: 8080,
  numRetries: 2,
  weight: 1,
  start: 1,
  end: 2,
  // A float in the API: a fraction is valid (issue 18 item 4).
  mirrorPercent: 0.5,
};
/** Fields we require where gcloud's schema does not: the API reference says why (STRICTER). */
const OUR_REQUIRED: Record<string, string[]> = {
  'HttpRouteHeaderMatch.yaml': ['header'],
  'HttpRouteQueryParameterMatch.yaml': ['queryParameter'],
  'HttpRouteDestination.yaml': ['serviceName'],
};

const WRONG: Record<string, unknown[]> = {
  string: [1, true, null, ['x'], { a: 'x' }],
  integer: ['1', 1.5, true, null, [1]],
  number: ['1', true, null, [1]],
  boolean: ['true', 1, null],
  array: ['x', { a: 'x' }, null],
  object: ['x', ['x'], null],
};

interface Case {
  what: string;
  doc: unknown;
}

function sample(name: string, s: Schema): unknown {
  if (s.$ref) return minimal(s.$ref);
  if (s.enum) return s.enum[0];
  if (s.type === 'array') return [sample(name, s.items ?? {})];
  if (s.type === 'object') return { k: 'v' };
  if (s.type === 'boolean') return true;
  return SAMPLES[name] ?? (s.type === 'string' ? 'x' : 1);
}

function minimal(file: string): Record<string, unknown> {
  const s = schemas.get(file) as Schema;
  const fields = [...(s.required ?? []), ...(OUR_REQUIRED[file] ?? [])];
  return Object.fromEntries(fields.map((f) => [f, sample(f, s.properties?.[f] ?? {})]));
}

/** Every generated case for the object schema `file`, placed into a whole route by `place`. */
function casesFor(file: string, path: string, place: (value: unknown) => unknown): Case[] {
  const s = schemas.get(file) as Schema;
  const base = minimal(file);
  const out: Case[] = [{ what: `${path}: the required fields only`, doc: place(base) }];
  for (const r of [...(s.required ?? []), ...(OUR_REQUIRED[file] ?? [])]) {
    const { [r]: _, ...without } = base;
    out.push({ what: `${path}: without ${r}`, doc: place(without) });
  }
  out.push({ what: `${path}: an unknown field`, doc: place({ ...base, notAField: 'x' }) });
  for (const [name, prop] of Object.entries(s.properties ?? {})) {
    if (BOOKKEEPING.has(name)) continue;
    const at = `${path}.${name}`;
    const set = (value: unknown) => place({ ...base, [name]: value });
    const target = prop.$ref ? (schemas.get(prop.$ref) as Schema) : prop;
    out.push({ what: `${at}: a valid value`, doc: set(sample(name, prop)) });
    for (const wrong of WRONG[target.type ?? 'object'] ?? []) {
      out.push({ what: `${at}: ${JSON.stringify(wrong)} for ${target.type}`, doc: set(wrong) });
    }
    for (const value of prop.enum ?? []) out.push({ what: `${at}: enum ${value}`, doc: set(value) });
    if (prop.enum) out.push({ what: `${at}: outside the enum`, doc: set('NOT_IN_THE_ENUM') });
    if (prop.$ref && typeof target.additionalProperties === 'object') {
      out.push({ what: `${at}: a map of strings`, doc: set({ k: 'v' }) });
      out.push({ what: `${at}: a map value that is not a string`, doc: set({ k: 1 }) });
    } else if (prop.$ref) {
      out.push(...casesFor(prop.$ref, at, set));
    }
    if (prop.type === 'array' && prop.items) {
      const items = prop.items;
      const itemTarget = items.$ref ? (schemas.get(items.$ref) as Schema) : items;
      for (const wrong of WRONG[itemTarget.type ?? 'object'] ?? []) {
        out.push({ what: `${at}[0]: ${JSON.stringify(wrong)} for ${itemTarget.type}`, doc: set([wrong]) });
      }
      if (items.$ref) out.push(...casesFor(items.$ref, `${at}[0]`, (v) => set([v])));
    }
  }
  return out;
}

const ROUTE_BASE = minimal('HttpRoute.yaml');
const cases = casesFor('HttpRoute.yaml', 'HttpRoute', (v) => v);

/** Where our schema is stricter than gcloud's, and the API reference's reason (one line each). */
const STRICTER: { what: RegExp; ours: RegExp; why: string }[] = [
  {
    what: /headers\[0\]: without header$/,
    ours: /header: required field is missing/,
    why: 'a header match names the header it matches (HttpRoute.HeaderMatch.header)',
  },
  {
    what: /queryParameters\[0\]: without queryParameter$/,
    ours: /queryParameter: required field is missing/,
    why: 'a query match names its parameter (HttpRoute.QueryParameterMatch.queryParameter)',
  },
  {
    what: /destinations\[0\]: without serviceName$|requestMirrorPolicy\.destination: without serviceName$/,
    ours: /serviceName: required field is missing/,
    why: 'a destination is a backend service (HttpRoute.Destination.serviceName)',
  },
];

/** ajv's error path in the form our errors use: /rules/0/action → rules[0].action. */
function pathOf(e: ErrorObject): string {
  const parts = e.instancePath.split('/').slice(1);
  let path = parts.reduce((p, k) => (/^\d+$/.test(k) ? `${p}[${k}]` : p ? `${p}.${k}` : k), '');
  const extra = e.params.missingProperty ?? e.params.additionalProperty;
  if (extra) path = path ? `${path}.${extra}` : extra;
  return path || '(document)';
}

const REASON: Record<string, RegExp> = {
  required: /^required field is missing$/,
  type: /^expected |must be one of /,
  enum: /must be one of |^expected /,
  additionalProperties: /^unknown field|^gcloud export/,
};

describe("the HttpRoute schema against gcloud's import schema", () => {
  it(`reads gcloud's HttpRoute schema files (${[...schemas.keys()].length} of them, from ${SCHEMA_DIR})`, () => {
    expect([...schemas.keys()].filter((n) => n.startsWith('HttpRoute')).sort()).toEqual(
      readdirSync(SCHEMA_DIR)
        .filter((n) => /^HttpRoute.*\.yaml$/.test(n) && n !== 'HttpRouteStatefulSessionAffinity.yaml')
        .sort(),
    );
    expect(gcloudValidate(ROUTE_BASE)).toBe(true);
    expect(cases.length).toBeGreaterThan(500);
  });

  it("has exactly gcloud's fields at every level: none missing, none of our own", () => {
    const differences: string[] = [];
    const unwrap = (t: z.core.$ZodType): z.core.$ZodType => {
      const def = t._zod.def as { type: string; innerType?: z.core.$ZodType; element?: z.core.$ZodType };
      if (def.type === 'optional' && def.innerType) return unwrap(def.innerType);
      if (def.type === 'array' && def.element) return unwrap(def.element);
      return t;
    };
    const compare = (ours: z.core.$ZodType, file: string, path: string) => {
      const shape = (unwrap(ours)._zod.def as { shape?: Record<string, z.core.$ZodType> }).shape ?? {};
      const theirs = schemas.get(file)?.properties ?? {};
      const refused = (k: string) =>
        (unwrap(shape[k] as z.core.$ZodType)._zod.def as { type: string }).type === 'never';
      const ourKeys = Object.keys(shape).filter((k) => !refused(k));
      const gcloudKeys = Object.keys(theirs).filter((k) => !BOOKKEEPING.has(k));
      for (const k of ourKeys.filter((k) => !gcloudKeys.includes(k)))
        differences.push(`${path}.${k}: ours only`);
      for (const k of gcloudKeys.filter((k) => !ourKeys.includes(k)))
        differences.push(`${path}.${k}: gcloud only`);
      for (const k of ourKeys.filter((k) => gcloudKeys.includes(k))) {
        const prop = theirs[k] as Schema;
        const ref = prop.$ref ?? prop.items?.$ref;
        if (ref && !ref.endsWith('Value.yaml')) compare(shape[k] as z.core.$ZodType, ref, `${path}.${k}`);
      }
    };
    compare(HTTP_ROUTE, 'HttpRoute.yaml', 'HttpRoute');
    expect(differences).toEqual([]);
  });

  it('gives every generated case the verdict gcloud gives it; each refusal at the same path, for the same reason', () => {
    const mismatches: string[] = [];
    const stricterSeen = new Set<RegExp>();
    for (const c of cases) {
      const theirs = gcloudValidate(c.doc) as boolean;
      const ours = checkShape(c.doc, HTTP_ROUTE);
      const ourLines = ours.ok ? [] : ours.errors.map((e) => `${e.path}: ${e.message}`);
      if (theirs && !ours.ok) {
        const allowed = STRICTER.find((s) => s.what.test(c.what) && ourLines.some((l) => s.ours.test(l)));
        if (allowed) stricterSeen.add(allowed.what);
        else mismatches.push(`${c.what}: gcloud accepts, we refuse: ${ourLines.join(' | ')}`);
      } else if (!theirs && ours.ok) {
        mismatches.push(`${c.what}: gcloud refuses (${ajv.errorsText(gcloudValidate.errors)}), we accept`);
      } else if (!theirs && !ours.ok) {
        // Each of gcloud's refusals (other than its `oneOf`-free duplicates) is one of ours.
        for (const e of gcloudValidate.errors ?? []) {
          const reason = REASON[e.keyword];
          const path = pathOf(e);
          const found = ours.errors.some((o) => o.path === path && (reason?.test(o.message) ?? true));
          if (!found) {
            mismatches.push(`${c.what}: gcloud says "${path}: ${e.message}", we say ${ourLines.join(' | ')}`);
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect([...stricterSeen].map(String).sort()).toEqual(STRICTER.map((s) => String(s.what)).sort());
  });

  it('directResponse needs status, statefulSessionAffinity needs cookieTtl, mirrorPercent may be a fraction (issue 18 item 4)', () => {
    const route = (action: object) => ({ ...ROUTE_BASE, rules: [{ action }] });
    const verdicts = (action: object) => {
      const ours = checkShape(route(action), HTTP_ROUTE);
      return { gcloud: gcloudValidate(route(action)), ours: ours.ok ? 'ok' : ours.errors.map((e) => e.path) };
    };
    expect(verdicts({ directResponse: { stringBody: 'x' } })).toEqual({
      gcloud: false,
      ours: ['rules[0].action.directResponse.status'],
    });
    expect(verdicts({ statefulSessionAffinity: {} })).toEqual({
      gcloud: false,
      ours: ['rules[0].action.statefulSessionAffinity.cookieTtl'],
    });
    expect(verdicts({ requestMirrorPolicy: { mirrorPercent: 12.5 } })).toEqual({ gcloud: true, ours: 'ok' });
    for (const only of [
      { directResponse: { status: 403, stringBody: 'no' } },
      { redirect: { hostRedirect: 'x.example' } },
      { faultInjectionPolicy: { abort: { httpStatus: 503, percentage: 100 } } },
    ]) {
      expect(verdicts(only)).toEqual({ gcloud: true, ours: 'ok' });
    }
  });

  // The API reference's own limits, which gcloud's schema does not carry: each is accepted by
  // gcloud's schema (asserted) and refused by ours with the reason.
  const apiLimits: [string, object, RegExp][] = [
    ['abort status 200–599', { faultInjectionPolicy: { abort: { httpStatus: 600 } } }, /at most 599/],
    ['percentage 0–100', { faultInjectionPolicy: { delay: { percentage: 101 } } }, /at most 100/],
    ['directResponse status', { directResponse: { status: 700 } }, /at most 599/],
    ['stringBody ≤ 1024', { directResponse: { status: 200, stringBody: 'x'.repeat(1025) } }, /1024/],
    ['bytesBody is base64', { directResponse: { status: 200, bytesBody: 'not base64!' } }, /base64/],
    ['one body', { directResponse: { status: 200, stringBody: 'a', bytesBody: 'YQ==' } }, /set only one of/],
    ['cookieTtl 1–86400 s', { statefulSessionAffinity: { cookieTtl: '90000s' } }, /from 1s to 86400s/],
    ['a duration', { timeout: '5 seconds' }, /expected a duration/],
    ['numRetries > 0', { retryPolicy: { numRetries: 0 } }, /at least 1/],
    ['retry conditions', { retryPolicy: { retryConditions: ['teapot'] } }, /retry condition must be one of/],
    ['a port', { redirect: { portRedirect: 70000 } }, /at most 65535/],
    ['mirrorPercent 0–100', { requestMirrorPolicy: { mirrorPercent: 100.5 } }, /at most 100/],
    ['weight ≥ 0', { destinations: [{ serviceName: 'x', weight: -1 }] }, /at least 0/],
    ['at least one destination', { destinations: [] }, /at least 1 item/],
  ];
  it.each(apiLimits)('stricter than gcloud where the API says so: %s', (_what, action, reason) => {
    const doc = { ...ROUTE_BASE, rules: [{ action }] };
    expect(gcloudValidate(doc)).toBe(true);
    const ours = checkShape(doc, HTTP_ROUTE);
    expect(ours.ok ? [] : ours.errors.map((e) => e.message)).toContainEqual(expect.stringMatching(reason));
  });

  it("refuses gcloud export's bookkeeping blocks, which gcloud's schema lets through, with the reason", () => {
    for (const [key, value, reason] of [
      ['COMMENT', { date: 'today' }, /import sends it to the API as an unknown field/],
      ['UNKNOWN', ['rules[0].action.x'], /this file is incomplete/],
    ] as const) {
      const doc = {
        ...ROUTE_BASE,
        rules: [{ action: { destinations: [{ serviceName: 'x', [key]: value }] } }],
      };
      expect(gcloudValidate(doc)).toBe(true);
      const ours = checkShape(doc, HTTP_ROUTE);
      expect(ours.ok ? [] : ours.errors).toEqual([
        { path: `rules[0].action.destinations[0].${key}`, message: expect.stringMatching(reason) },
      ]);
    }
  });
});
