export { type ConfigError, ConfigInvalidError, formatErrors } from './errors.ts';
export type * from './http-route.ts';
export { HTTP_ROUTE_SHAPE } from './http-route-shape.ts';
export { INFRA_DIR, REPO_ROOT, ROUTES_DIR, TOPOLOGY_FILE } from './paths.ts';
export {
  backendServiceName,
  checkRoutes,
  loadRoutes,
  PROJECT_PLACEHOLDER,
  type RouteFile,
  renderRoute,
  routeFilesIn,
} from './routes.ts';
export { checkShape, type Shape, type ShapeError } from './shape.ts';
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
