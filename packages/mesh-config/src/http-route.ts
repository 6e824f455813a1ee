import { z } from 'zod';
import { duration, fields, matching, oneOf } from './shape.ts';

/**
 * The Network Services v1 `HttpRoute` resource as `gcloud network-services http-routes import`
 * reads it (camelCase YAML). Field list from the REST reference:
 * https://cloud.google.com/service-mesh/docs/reference/network-services/rest/v1/projects.locations.httpRoutes
 * The types below are inferred from it: the schema is the only declaration of the shape.
 *
 * It is held to gcloud's own import schema (`<sdk>/lib/googlecloudsdk/schemas/networkservices/v1/
 * HttpRoute*.yaml`) by test/gcloud-schema.test.ts: every field, type, enum and required field
 * gets the same verdict from this schema as from a JSON-schema validator loaded with gcloud's
 * files. Where this schema is stricter, the API reference says why, and the test lists each
 * place (decision 065).
 */
const text = z.string().optional();
const flag = z.boolean().optional();
const texts = z.array(z.string()).optional();
const textMap = z.record(z.string(), z.string()).optional();
const percentage = z.int().min(0).max(100).optional();

/**
 * gcloud's export schema has these two at every level: `gcloud import` lets them through its
 * schema, then sends them to the API as unknown fields (apitools keeps unrecognised keys).
 */
const GCLOUD_BOOKKEEPING = {
  COMMENT:
    "gcloud export's note block: gcloud's schema lets it through, but import sends it to the API as an unknown field; keep notes in YAML comments",
  UNKNOWN:
    'gcloud export lists here the API fields it could not export, so this file is incomplete: write those fields out and remove UNKNOWN',
};
/** A mapping of the API: exactly these fields, gcloud's bookkeeping keys refused with a reason. */
const apiFields: typeof fields = (shape, rules = {}) =>
  fields(shape, { ...rules, refused: { ...GCLOUD_BOOKKEEPING, ...rules.refused } });

/** A Duration from `min` to `max` seconds, as the API reference bounds some of them. */
const durationWithin = (min: number, max: number, what: string) =>
  duration.refine((d) => Number(d.slice(0, -1)) >= min && Number(d.slice(0, -1)) <= max, {
    error: `${what} must be from ${min}s to ${max}s`,
  });

const headerModifier = apiFields({ set: textMap, add: textMap, remove: texts });

const destination = apiFields({
  serviceName: z.string(),
  weight: z.int().min(0).max(1_000_000).optional(),
  requestHeaderModifier: headerModifier.optional(),
  responseHeaderModifier: headerModifier.optional(),
});

const headerMatch = apiFields(
  {
    header: z.string(),
    exactMatch: text,
    regexMatch: text,
    prefixMatch: text,
    presentMatch: flag,
    suffixMatch: text,
    // Optional in the API (gcloud's schema too): an unset bound is 0, as in proto3.
    rangeMatch: apiFields({ start: z.int().optional(), end: z.int().optional() }).optional(),
    invertMatch: flag,
  },
  { oneOf: [['exactMatch', 'regexMatch', 'prefixMatch', 'presentMatch', 'suffixMatch', 'rangeMatch']] },
);

const queryParameterMatch = apiFields(
  { queryParameter: z.string(), exactMatch: text, regexMatch: text, presentMatch: flag },
  { oneOf: [['exactMatch', 'regexMatch', 'presentMatch']] },
);

const routeMatch = apiFields(
  {
    fullPathMatch: text,
    prefixMatch: matching(/^\//, 'a path prefix must start with "/"').optional(),
    regexMatch: text,
    ignoreCase: flag,
    headers: z.array(headerMatch).optional(),
    queryParameters: z.array(queryParameterMatch).optional(),
  },
  { oneOf: [['fullPathMatch', 'prefixMatch', 'regexMatch']] },
);

const RETRY_CONDITIONS = [
  '5xx',
  'gateway-error',
  'reset',
  'connect-failure',
  'retriable-4xx',
  'refused-stream',
  'cancelled',
  'deadline-exceeded',
  'resource-exhausted',
  'unavailable',
] as const;
const REDIRECT_CODES = [
  'RESPONSE_CODE_UNSPECIFIED',
  'MOVED_PERMANENTLY_DEFAULT',
  'FOUND',
  'SEE_OTHER',
  'TEMPORARY_REDIRECT',
  'PERMANENT_REDIRECT',
] as const;

const routeAction = apiFields({
  destinations: z.array(destination).min(1).optional(),
  redirect: apiFields({
    hostRedirect: text,
    pathRedirect: text,
    prefixRewrite: text,
    responseCode: oneOf(REDIRECT_CODES).optional(),
    httpsRedirect: flag,
    stripQuery: flag,
    portRedirect: z.int().min(1).max(65535).optional(),
  }).optional(),
  faultInjectionPolicy: apiFields({
    delay: apiFields({ fixedDelay: duration.optional(), percentage }).optional(),
    abort: apiFields({ httpStatus: z.int().min(200).max(599).optional(), percentage }).optional(),
  }).optional(),
  requestHeaderModifier: headerModifier.optional(),
  responseHeaderModifier: headerModifier.optional(),
  urlRewrite: apiFields({ pathPrefixRewrite: text, hostRewrite: text }).optional(),
  timeout: duration.optional(),
  idleTimeout: duration.optional(),
  retryPolicy: apiFields({
    retryConditions: z.array(oneOf(RETRY_CONDITIONS, 'retry condition')).optional(),
    numRetries: z.int().min(1).optional(),
    perTryTimeout: duration.optional(),
  }).optional(),
  requestMirrorPolicy: apiFields({
    destination: destination.optional(),
    // A float in the API (and `type: number` in gcloud's schema): 0.5 % is a valid share.
    mirrorPercent: z.number().min(0).max(100).optional(),
  }).optional(),
  corsPolicy: apiFields({
    allowOrigins: texts,
    allowOriginRegexes: texts,
    allowMethods: texts,
    allowHeaders: texts,
    exposeHeaders: texts,
    maxAge: text,
    allowCredentials: flag,
    disabled: flag,
  }).optional(),
  // cookieTtl is required (gcloud's schema too); the API bounds it to 1–86400 s.
  statefulSessionAffinity: apiFields({ cookieTtl: durationWithin(1, 86400, 'cookieTtl') }).optional(),
  // status is required (gcloud's schema too); Envoy's direct_response takes 200–599. The API
  // caps stringBody at 1024 characters and bytesBody (base64) at 4096 bytes.
  directResponse: apiFields(
    {
      status: z.int().min(200).max(599),
      stringBody: z.string().max(1024).optional(),
      bytesBody: z.base64().max(5464).optional(),
    },
    { oneOf: [['stringBody', 'bytesBody']] },
  ).optional(),
});

/** RFC 1123 lower-case hostname, optionally with one leading "*." wildcard label. */
const HOSTNAME = /^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export const HTTP_ROUTE = apiFields(
  {
    name: matching(
      /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/,
      'name must be lower-case letters, digits and "-", 1–63 characters',
    ),
    description: text,
    labels: textMap,
    hostnames: z
      .array(
        matching(HOSTNAME, 'hostname must be a lower-case DNS name (optionally "*." first), no IP, no port'),
      )
      .min(1),
    meshes: texts,
    gateways: texts,
    rules: z
      .array(apiFields({ matches: z.array(routeMatch).optional(), action: routeAction.optional() }))
      .min(1),
  },
  { outputOnly: ['selfLink', 'createTime', 'updateTime'] },
);

export type HttpRoute = z.infer<typeof HTTP_ROUTE>;
export type RouteRule = HttpRoute['rules'][number];
export type RouteAction = NonNullable<RouteRule['action']>;
export type Destination = z.infer<typeof destination>;
export type HeaderModifier = z.infer<typeof headerModifier>;
export type RouteMatch = z.infer<typeof routeMatch>;
export type HeaderMatch = z.infer<typeof headerMatch>;
export type QueryParameterMatch = z.infer<typeof queryParameterMatch>;
