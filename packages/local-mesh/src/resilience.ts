import type { IncomingHttpHeaders } from 'node:http';
import type { RouteAction, RouteFile } from '@meshapps/mesh-config';

/**
 * HttpRoute's `timeout`, `retryPolicy` and `faultInjectionPolicy` as the local mesh reads them:
 * with Envoy's semantics, because CSM's data plane is a managed Envoy. None of it is shown to be
 * honoured by the managed sidecar on Cloud Run (decision 006), so a route using them is labelled.
 */
export const RESILIENCE_FIELDS = ['timeout', 'retryPolicy', 'faultInjectionPolicy'] as const;
export const UNVERIFIED_NOTICE = "Envoy semantics; not confirmed on Cloud Run's managed data plane";

export interface RetryPolicy {
  conditions: ReadonlySet<string>;
  /** Retries after the first attempt (HttpRoute's default: 1). */
  numRetries: number;
  /** Bounds each attempt until its response headers; undefined = none. */
  perTryTimeoutMs: number | undefined;
}

/** This request's fault dice, already rolled: what the fault filter does to it. */
export interface FaultRoll {
  delayMs?: number;
  abortStatus?: number;
}

export interface HopPolicy {
  /** The route timeout: every attempt and back-off included; undefined = none. */
  timeoutMs: number | undefined;
  retry: RetryPolicy | undefined;
  /** Set when the rule injects faults; timeout and retry are then off, as CSM documents. */
  fault: FaultRoll | undefined;
}

type StaticPolicy = Omit<HopPolicy, 'fault'> & {
  fault?: { delay?: { ms: number; percentage: number }; abort?: { status: number; percentage: number } };
};

const parsed = new WeakMap<RouteAction, StaticPolicy | null>();

/**
 * The policy of one request on a rule, or undefined when the rule uses none of the three fields
 * (then the sidecar relays exactly as before). Fault percentages are rolled here, per request.
 */
export function hopPolicy(action: RouteAction, random: () => number): HopPolicy | undefined {
  let policy = parsed.get(action);
  if (policy === undefined) {
    policy = staticPolicy(action);
    parsed.set(action, policy);
  }
  if (policy === null) return undefined;
  if (!policy.fault) return { timeoutMs: policy.timeoutMs, retry: policy.retry, fault: undefined };
  const roll: FaultRoll = {};
  const { delay, abort } = policy.fault;
  // Envoy's fault filter: the delay first, then the abort, each with its own dice.
  if (delay && random() * 100 < delay.percentage) roll.delayMs = delay.ms;
  if (abort && random() * 100 < abort.percentage) roll.abortStatus = abort.status;
  return { timeoutMs: undefined, retry: undefined, fault: roll };
}

function staticPolicy(action: RouteAction): StaticPolicy | null {
  const { timeout, retryPolicy, faultInjectionPolicy: fault } = action;
  if (timeout === undefined && retryPolicy === undefined && fault === undefined) return null;
  if (fault) {
    // "timeout and retryPolicy will be ignored by clients that are configured with a
    // faultInjectionPolicy" (HttpRoute API reference).
    const out: StaticPolicy = { timeoutMs: undefined, retry: undefined, fault: {} };
    if (fault.delay?.fixedDelay !== undefined && out.fault)
      out.fault.delay = { ms: durationMs(fault.delay.fixedDelay), percentage: fault.delay.percentage ?? 0 };
    if (fault.abort?.httpStatus !== undefined && out.fault)
      out.fault.abort = { status: fault.abort.httpStatus, percentage: fault.abort.percentage ?? 0 };
    return out;
  }
  const retry: RetryPolicy | undefined = retryPolicy
    ? {
        conditions: new Set(retryPolicy.retryConditions ?? []),
        numRetries: retryPolicy.numRetries ?? 1,
        perTryTimeoutMs: positive(retryPolicy.perTryTimeout),
      }
    : undefined;
  return { timeoutMs: positive(timeout), retry };
}

/** "1.5s" → 1500. Sub-millisecond remainders round up, so "0.0001s" still waits. */
export function durationMs(duration: string): number {
  return Math.ceil(Number(duration.replace(/s$/, '')) * 1000);
}

/** As in Envoy, a zero timeout means no timeout. */
function positive(duration: string | undefined): number | undefined {
  if (duration === undefined) return undefined;
  const ms = durationMs(duration);
  return ms > 0 ? ms : undefined;
}

/** What one attempt produced: an HTTP answer, or none (reset, per-try timeout, connect failure). */
export type AttemptResult =
  | { status: number; headers: IncomingHttpHeaders }
  | { reset: 'per-try-timeout' | 'connect-failure' | 'refused-stream' | 'remote' };

const GRPC_CODES: Record<string, string> = {
  cancelled: '1',
  'deadline-exceeded': '4',
  'resource-exhausted': '8',
  unavailable: '14',
};

/** Envoy's `retry_on` conditions (router filter docs): does this result qualify for a retry? */
export function qualifiesForRetry(conditions: ReadonlySet<string>, result: AttemptResult): boolean {
  if ('reset' in result) {
    // No answer at all counts as a 5xx (it becomes one), so 5xx and gateway-error include resets.
    if (conditions.has('5xx') || conditions.has('gateway-error') || conditions.has('reset')) return true;
    if (result.reset === 'connect-failure') return conditions.has('connect-failure');
    if (result.reset === 'refused-stream') return conditions.has('refused-stream');
    return false;
  }
  const { status } = result;
  if (conditions.has('5xx') && status >= 500 && status <= 599) return true;
  if (conditions.has('gateway-error') && (status === 502 || status === 503 || status === 504)) return true;
  if (conditions.has('retriable-4xx') && status === 409) return true;
  const grpc = result.headers['grpc-status'];
  return Object.entries(GRPC_CODES).some(([name, code]) => conditions.has(name) && grpc === code);
}

/**
 * Envoy's default back-off: fully jittered, base 25 ms, the n-th retry waits a random time in
 * [0, (2^n − 1) × 25 ms), capped at 250 ms.
 */
export function retryBackoffMs(retry: number, random: () => number): number {
  return Math.floor(random() * Math.min((2 ** retry - 1) * 25, 250));
}

/** Envoy's `%RESPONSE_FLAGS%` order, so `DI,FI` reads as Envoy would print it. */
const FLAG_ORDER = ['UH', 'UT', 'LR', 'UR', 'UF', 'UC', 'DC', 'UO', 'NR', 'DI', 'FI', 'RL', 'URX'];

export function formatFlags(flags: readonly string[]): string {
  return [...new Set(flags)].sort((a, b) => FLAG_ORDER.indexOf(a) - FLAG_ORDER.indexOf(b)).join(',');
}

/** The start-up notice: which loaded routes use the resilience fields, and what is ignored. */
export function resilienceNotices(routes: readonly RouteFile[]): string[] {
  return routes.flatMap(({ route }) => {
    const fields = new Set<string>();
    let ignored = false;
    for (const { action } of route.rules) {
      for (const f of RESILIENCE_FIELDS) if (action?.[f] !== undefined) fields.add(f);
      if (action?.faultInjectionPolicy && (action.timeout || action.retryPolicy)) ignored = true;
    }
    if (fields.size === 0) return [];
    const notice = `${route.name} uses ${[...fields].join(', ')}: ${UNVERIFIED_NOTICE}`;
    return ignored
      ? [
          notice,
          `${route.name}: timeout and retryPolicy are ignored where faultInjectionPolicy is set (HttpRoute API)`,
        ]
      : [notice];
  });
}

/**
 * Settings the HttpRoute shape accepts but that would silently do nothing (the API defaults a
 * missing percentage to 0): refused, so a lesson never fails quietly.
 */
export function resilienceProblems(action: RouteAction, at: string): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const fault = action.faultInjectionPolicy;
  const need = (ok: boolean, path: string, message: string) => {
    if (!ok) problems.push({ path: `${at}.${path}`, message });
  };
  if (fault) {
    need(
      fault.delay !== undefined || fault.abort !== undefined,
      'faultInjectionPolicy',
      'set delay or abort (or both)',
    );
    // Each fault needs its own value and a percentage; the API would default the percentage to 0.
    const faults = [
      { name: 'delay', a: 'a delay', part: fault.delay, field: 'fixedDelay', value: fault.delay?.fixedDelay },
      {
        name: 'abort',
        a: 'an abort',
        part: fault.abort,
        field: 'httpStatus',
        value: fault.abort?.httpStatus,
      },
    ];
    for (const f of faults) {
      if (!f.part) continue;
      const path = `faultInjectionPolicy.${f.name}`;
      need(f.value !== undefined, path, `${f.a} needs ${f.field}`);
      need(
        f.part.percentage !== undefined,
        path,
        `${f.a} needs percentage (the API default is 0: nothing would be ${f.name}ed)`,
      );
    }
  }
  if (action.retryPolicy) {
    need(
      (action.retryPolicy.retryConditions?.length ?? 0) > 0,
      'retryPolicy.retryConditions',
      'a retry policy without retryConditions never retries',
    );
  }
  return problems;
}
