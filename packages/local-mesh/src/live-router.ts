import { checkRoutes, type RouteFile, type Topology } from '@meshapps/mesh-config';
import type { RequestFacts } from './route-match.ts';
import { type RouteResult, Router } from './router.ts';

/** What a sidecar needs of the routing table: one decision per request. */
export interface RouteResolver {
  resolve(host: string, req: RequestFacts): RouteResult;
}

/**
 * The routing table in force, swappable while the mesh runs. Every sidecar holds this one object
 * and resolves each request once, against the Router current at that moment: a swap reaches all
 * sidecars at once, and a request already routed finishes on the route it started with.
 */
export class LiveRouter implements RouteResolver {
  private router: Router;
  private files: readonly RouteFile[];
  private readonly random: (() => number) | undefined;

  constructor(routes: readonly RouteFile[], random?: () => number) {
    this.random = random;
    this.files = routes;
    this.router = new Router(routes, random);
  }

  resolve(host: string, req: RequestFacts): RouteResult {
    return this.router.resolve(host, req);
  }

  /** The route files the current table was built from. */
  get routes(): readonly RouteFile[] {
    return this.files;
  }

  /** Builds the new table first, then swaps one reference: never a half-applied state. */
  swap(routes: readonly RouteFile[]): void {
    const next = new Router(routes, this.random);
    this.files = routes;
    this.router = next;
  }
}

/**
 * The routes `pnpm start` runs, at start and on every live change: exactly what route CD accepts
 * (the networkservices API's shape and this project's checks). What the local mesh does
 * differently is never a refusal: `localNotices` says it, field by field (decision 065).
 */
export function checkMeshRoutes(
  files: readonly { file: string; text: string }[],
  topology: Topology,
): RouteFile[] {
  return checkRoutes(files, topology);
}
