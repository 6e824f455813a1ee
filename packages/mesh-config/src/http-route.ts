import { z } from 'zod';
import { duration, fields, matching, oneOf } from './shape.ts';

/**
 * The Network Services v1 `HttpRoute` resource as `gcloud network-services http-routes import`
 * reads it (camelCase YAML). Field list from the REST reference:
 * https://cloud.google.com/service-mesh/docs/reference/network-services/rest/v1/projects.locations.httpRoutes
 * The types below are inferred from it: the schema is the only declaration of the shape.
 */
const text = z.string().optional();
const flag = z.boolean().optional();
const texts = z.array(z.string()).optional();
const textMap = z.record(z.string(), z.string()).optional();
const percentage = z.int().min(0).max(100).optional();

const headerModifier = fields({ set: textMap, add: textMap, remove: texts });

const destination = fields({
  serviceName: z.string(),
  weight: z.int().min(0).max(1_000_000).optional(),
  requestHeaderModifier: headerModifier.optional(),
  responseHeaderModifier: headerModifier.optional(),
});

const headerMatch = fields(
  {
    header: z.string(),
    exactMatch: text,
    regexMatch: text,
    prefixMatch: text,
    presentMatch: flag,
    suffixMatch: text,
    rangeMatch: fields({ start: z.int(), end: z.int() }).optional(),
    invertMatch: flag,
  },
  { oneOf: [['exactMatch', 'regexMatch', 'prefixMatch', 'presentMatch', 'suffixMatch', 'rangeMatch']] },
);

const queryParameterMatch = fields(
  { queryParameter: z.string(), exactMatch: text, regexMatch: text, presentMatch: flag },
  { oneOf: [['exactMatch', 'regexMatch', 'presentMatch']] },
);

const routeMatch = fields(
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
  'MOVED_PERMANENTLY_DEFAULT',
  'FOUND',
  'SEE_OTHER',
  'TEMPORARY_REDIRECT',
  'PERMANENT_REDIRECT',
] as const;

const routeAction = fields({
  destinations: z.array(destination).min(1).optional(),
  redirect: fields({
    hostRedirect: text,
    pathRedirect: text,
    prefixRewrite: text,
    responseCode: oneOf(REDIRECT_CODES).optional(),
    httpsRedirect: flag,
    stripQuery: flag,
    portRedirect: z.int().min(1).max(65535).optional(),
  }).optional(),
  faultInjectionPolicy: fields({
    delay: fields({ fixedDelay: duration.optional(), percentage }).optional(),
    abort: fields({ httpStatus: z.int().min(200).max(599).optional(), percentage }).optional(),
  }).optional(),
  requestHeaderModifier: headerModifier.optional(),
  responseHeaderModifier: headerModifier.optional(),
  urlRewrite: fields({ pathPrefixRewrite: text, hostRewrite: text }).optional(),
  timeout: duration.optional(),
  idleTimeout: duration.optional(),
  retryPolicy: fields({
    retryConditions: z.array(oneOf(RETRY_CONDITIONS, 'retry condition')).optional(),
    numRetries: z.int().min(1).optional(),
    perTryTimeout: duration.optional(),
  }).optional(),
  requestMirrorPolicy: fields({ destination: destination.optional(), mirrorPercent: percentage }).optional(),
  corsPolicy: fields({
    allowOrigins: texts,
    allowOriginRegexes: texts,
    allowMethods: texts,
    allowHeaders: texts,
    exposeHeaders: texts,
    maxAge: text,
    allowCredentials: flag,
    disabled: flag,
  }).optional(),
  statefulSessionAffinity: fields({ cookieTtl: duration.optional() }).optional(),
  directResponse: fields(
    { status: z.int().min(100).max(599).optional(), stringBody: text, bytesBody: text },
    { oneOf: [['stringBody', 'bytesBody']] },
  ).optional(),
});

/** RFC 1123 lower-case hostname, optionally with one leading "*." wildcard label. */
const HOSTNAME = /^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export const HTTP_ROUTE = fields(
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
      .array(fields({ matches: z.array(routeMatch).optional(), action: routeAction.optional() }))
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
