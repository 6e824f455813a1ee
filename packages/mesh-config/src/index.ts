export { type ConfigError, ConfigInvalidError, formatErrors } from './errors.ts';
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
export { INFRA_DIR, REPO_ROOT, ROUTES_DIR, TOPOLOGY_FILE } from './paths.ts';
export { compileRouteRegex, type RouteRegex, re2Problem, routeRegexErrors } from './route-regex.ts';
export {
  backendServiceName,
  checkRoutes,
  loadRoutes,
  PROJECT_PLACEHOLDER,
  type RouteFile,
  renderRoute,
  routeFilesIn,
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
