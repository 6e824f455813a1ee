import type { Dispatcher } from 'undici';
import { getJson, type HopAnswer } from './get-json.ts';

/**
 * With the mesh: a plain HTTP GET to the mesh hostname. No token, no URL lookup — the sidecar
 * routes by HTTPRoute, attaches this service's identity, and IAM decides at the target.
 */
export function callWithMesh(host: string, path: string, hop: HopContext): Promise<HopAnswer> {
  return getJson(`http://${host}${path}`, {
    headers: hop.headers,
    timeoutMs: hop.timeoutMs,
    dispatcher: hop.dispatcher,
    hop: hop.name,
  });
}

export interface HopContext {
  /** "caller -> host", for error messages. */
  name: string;
  headers: Record<string, string>;
  timeoutMs: number;
  dispatcher: Dispatcher;
}
