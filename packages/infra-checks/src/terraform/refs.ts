import type { Instance, Plan } from './plan.ts';
import { InstanceRef, isObject, Unknown, type Value } from './values.ts';

/** Helpers to walk the offline plan: references between instances and nested block values. */

/** The instance an `Unknown` like `google_x.y["k"].id` (or an InstanceRef) points to. */
export function referenced(plan: Plan, v: Value): Instance | undefined {
  const address = v instanceof InstanceRef ? v.address : v instanceof Unknown ? addressOf(v.ref) : undefined;
  return address ? plan.instances().find((i) => i.address === address) : undefined;
}

/**
 * The instance of `type` a value names: by reference (`google_x.y.id`, `.name`…) or, for a plain
 * string, the one whose configured `name` it is (`network = "meshapps-vpc"`).
 */
export function named(plan: Plan, v: Value, type: string): Instance | undefined {
  const ref = referenced(plan, v);
  if (ref) return ref.resource.type === type ? ref : undefined;
  return typeof v === 'string' ? plan.ofType(type).find((i) => i.config.name === v) : undefined;
}

/** `google_x.y["k"].email` → `google_x.y["k"]`; `google_x.y.id` → `google_x.y`. */
export function addressOf(ref: string): string | undefined {
  const m = /^([a-z0-9_]+\.[a-zA-Z0-9_-]+(?:\[(?:"(?:[^"\\]|\\.)*"|\d+)\])?)\.[a-z_]+$/.exec(ref);
  return m?.[1];
}

/** `serviceAccount:${google_service_account.x["k"].email}` → the referenced instance's account_id. */
export function memberAccount(plan: Plan, member: Value): string | undefined {
  if (typeof member !== 'string') return undefined;
  const ref = /^serviceAccount:\$\{(.+)\}$/.exec(member);
  if (ref) {
    const sa = referenced(plan, new Unknown(ref[1] ?? ''));
    return sa?.resource.type === 'google_service_account' ? str(sa.config.account_id) : undefined;
  }
  const literal = /^serviceAccount:([^@]+)@/.exec(member);
  return literal?.[1];
}

/** Normalised member: service accounts by account id, everything else as written. */
export function normaliseMember(plan: Plan, member: Value): string {
  const account = memberAccount(plan, member);
  if (account) return `serviceAccount:${account}`;
  return typeof member === 'string' ? member : String(member);
}

/** First block of a nested block list (`template[0]`), or undefined. */
export function block(config: Record<string, Value>, name: string): Record<string, Value> | undefined {
  const list = config[name];
  const first = Array.isArray(list) ? list[0] : undefined;
  return isObject(first) ? first : undefined;
}

export function blocks(config: Record<string, Value> | undefined, name: string): Record<string, Value>[] {
  const list = config?.[name];
  return Array.isArray(list) ? list.filter(isObject) : [];
}

export function str(v: Value): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** True if a raw (unevaluated) body mentions `key` anywhere, dynamic blocks included. */
export function mentions(raw: unknown, key: string): boolean {
  if (Array.isArray(raw)) return raw.some((r) => mentions(r, key));
  if (raw && typeof raw === 'object') {
    return Object.entries(raw).some(([k, v]) => k === key || mentions(v, key));
  }
  return false;
}
