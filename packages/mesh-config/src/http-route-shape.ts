import { arr, bool, duration, int, map, obj, type Shape, str } from './shape.ts';

/**
 * The Network Services v1 `HttpRoute` resource as `gcloud network-services http-routes import`
 * reads it (camelCase YAML). Field list from the REST reference:
 * https://cloud.google.com/service-mesh/docs/reference/network-services/rest/v1/projects.locations.httpRoutes
 */
const headerModifier = obj({ set: map(str()), add: map(str()), remove: arr(str()) });

const destination = obj(
  {
    serviceName: str(),
    weight: int(0, 1_000_000),
    requestHeaderModifier: headerModifier,
    responseHeaderModifier: headerModifier,
  },
  { required: ['serviceName'] },
);

const headerMatch = obj(
  {
    header: str(),
    exactMatch: str(),
    regexMatch: str(),
    prefixMatch: str(),
    presentMatch: bool,
    suffixMatch: str(),
    rangeMatch: obj({ start: int(), end: int() }, { required: ['start', 'end'] }),
    invertMatch: bool,
  },
  {
    required: ['header'],
    oneOf: [['exactMatch', 'regexMatch', 'prefixMatch', 'presentMatch', 'suffixMatch', 'rangeMatch']],
  },
);

const queryMatch = obj(
  { queryParameter: str(), exactMatch: str(), regexMatch: str(), presentMatch: bool },
  { required: ['queryParameter'], oneOf: [['exactMatch', 'regexMatch', 'presentMatch']] },
);

const routeMatch = obj(
  {
    fullPathMatch: str(),
    prefixMatch: str(/^\//, 'a path prefix must start with "/"'),
    regexMatch: str(),
    ignoreCase: bool,
    headers: arr(headerMatch),
    queryParameters: arr(queryMatch),
  },
  { oneOf: [['fullPathMatch', 'prefixMatch', 'regexMatch']] },
);

const percentage = int(0, 100);

const routeAction = obj({
  destinations: arr(destination, 1),
  redirect: obj({
    hostRedirect: str(),
    pathRedirect: str(),
    prefixRewrite: str(),
    responseCode: str(/^(MOVED_PERMANENTLY_DEFAULT|FOUND|SEE_OTHER|TEMPORARY_REDIRECT|PERMANENT_REDIRECT)$/),
    httpsRedirect: bool,
    stripQuery: bool,
    portRedirect: int(1, 65535),
  }),
  faultInjectionPolicy: obj({
    delay: obj({ fixedDelay: duration, percentage }),
    abort: obj({ httpStatus: int(200, 599), percentage }),
  }),
  requestHeaderModifier: headerModifier,
  responseHeaderModifier: headerModifier,
  urlRewrite: obj({ pathPrefixRewrite: str(), hostRewrite: str() }),
  timeout: duration,
  idleTimeout: duration,
  retryPolicy: obj({
    retryConditions: arr(
      str(
        /^(5xx|gateway-error|reset|connect-failure|retriable-4xx|refused-stream|cancelled|deadline-exceeded|resource-exhausted|unavailable)$/,
        'retry condition must be one of 5xx, gateway-error, reset, connect-failure, retriable-4xx, refused-stream, cancelled, deadline-exceeded, resource-exhausted, unavailable',
      ),
    ),
    numRetries: int(1),
    perTryTimeout: duration,
  }),
  requestMirrorPolicy: obj({ destination, mirrorPercent: int(0, 100) }),
  corsPolicy: obj({
    allowOrigins: arr(str()),
    allowOriginRegexes: arr(str()),
    allowMethods: arr(str()),
    allowHeaders: arr(str()),
    exposeHeaders: arr(str()),
    maxAge: str(),
    allowCredentials: bool,
    disabled: bool,
  }),
  statefulSessionAffinity: obj({ cookieTtl: duration }),
  directResponse: obj(
    { status: int(100, 599), stringBody: str(), bytesBody: str() },
    { oneOf: [['stringBody', 'bytesBody']] },
  ),
});

/** RFC 1123 lower-case hostname, optionally with one leading "*." wildcard label. */
const HOSTNAME = /^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export const HTTP_ROUTE_SHAPE: Shape = obj(
  {
    name: str(
      /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/,
      'name must be lower-case letters, digits and "-", 1–63 characters',
    ),
    description: str(),
    labels: map(str()),
    hostnames: arr(
      str(HOSTNAME, 'hostname must be a lower-case DNS name (optionally "*." first), no IP, no port'),
      1,
    ),
    meshes: arr(str()),
    gateways: arr(str()),
    rules: arr(obj({ matches: arr(routeMatch), action: routeAction }), 1),
  },
  { required: ['name', 'hostnames', 'rules'], outputOnly: ['selfLink', 'createTime', 'updateTime'] },
);
