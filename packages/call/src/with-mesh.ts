import { getJson, type HopAnswer, type HopContext } from './get-json.ts';

/**
 * With the mesh: a plain HTTP GET to the mesh hostname. No token, no URL lookup — the sidecar
 * routes by HTTPRoute, attaches this service's identity, and IAM decides at the target.
 */
export function callWithMesh(host: string, path: string, hop: HopContext): Promise<HopAnswer> {
  return getJson(`http://${host}${path}`, hop);
}
