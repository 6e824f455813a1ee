export {
  ConfigFileError,
  type ConfigText,
  MAX_CONFIG_BYTES,
  readConfigFile,
  readConfigFileSync,
  readRouteFiles,
  readRouteFilesSync,
  routeFilesIn,
} from './config-files.ts';
export { type ConfigError, ConfigInvalidError, clip, formatErrors, MAX_ERROR_LINES } from './errors.ts';
export {
  type Destination,
  type HeaderMatch,
  type HeaderModifier,
  HTTP_ROUTE,
  type HttpRoute,
  type QueryParameterMatch,
  type RouteAction,
  type RouteMatch,
  type RouteRule,
} from './http-route.ts';
export { INFRA_DIR, REPO_ROOT, ROUTES_DIR, shownPath, TOPOLOGY_FILE } from './paths.ts';
export {
  compiledFor,
  compileRouteRegex,
  MAX_REGEX_PROGRAM_SIZE,
  type RouteRegex,
  re2Problem,
  routeRegexErrors,
} from './route-regex.ts';
export {
  backendServiceName,
  checkRoutes,
  loadRoutes,
  PROJECT_PLACEHOLDER,
  type RouteFile,
  renderRoute,
} from './routes.ts';
export { checkShape, duration, fields, matching, oneOf, type ShapeError } from './shape.ts';
export {
  ENTRY,
  type Entry,
  envNameProblem,
  findService,
  INGRESS,
  type Ingress,
  loadTopology,
  parseTopology,
  type ServiceSpec,
  type Topology,
} from './topology.ts';
