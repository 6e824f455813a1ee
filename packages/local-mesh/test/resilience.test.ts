import type { RouteAction, RouteFile } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';
import {
  durationMs,
  formatFlags,
  hopPolicy,
  qualifiesForRetry,
  resilienceNotices,
  resilienceProblems,
  retryBackoffMs,
} from '../src/resilience.ts';
import { localNotices } from '../src/unsupported.ts';

const dest = { destinations: [{ serviceName: 'x' }] };
const always = () => 0;
const never = () => 0.999;

describe('the policy a rule gives one request', () => {
  it('no timeout, retries or faults: no policy, so the sidecar streams as before', () => {
    expect(hopPolicy({ ...dest }, always)).toBeUndefined();
  });

  it('reads durations as HttpRoute writes them; 0s means none, as in Envoy', () => {
    expect(durationMs('1.5s')).toBe(1500);
    expect(durationMs('0.0001s')).toBe(1);
    expect(hopPolicy({ ...dest, timeout: '0s' }, always)).toEqual({
      timeoutMs: undefined,
      retry: undefined,
      fault: undefined,
    });
  });

  it('a retry policy defaults to 1 retry', () => {
    const p = hopPolicy({ ...dest, timeout: '3s', retryPolicy: { retryConditions: ['5xx'] } }, always);
    expect(p?.timeoutMs).toBe(3000);
    expect(p?.retry).toEqual({ conditions: new Set(['5xx']), numRetries: 1, perTryTimeoutMs: undefined });
  });

  it('fault injection switches the rule timeout and retries off (HttpRoute API)', () => {
    const action: RouteAction = {
      ...dest,
      timeout: '1s',
      retryPolicy: { retryConditions: ['5xx'], numRetries: 3 },
      faultInjectionPolicy: { delay: { fixedDelay: '2s', percentage: 100 } },
    };
    expect(hopPolicy(action, always)).toEqual({
      timeoutMs: undefined,
      retry: undefined,
      fault: { delayMs: 2000 },
    });
  });

  it('rolls delay and abort with their own dice, per request', () => {
    const action: RouteAction = {
      ...dest,
      faultInjectionPolicy: {
        delay: { fixedDelay: '2s', percentage: 30 },
        abort: { httpStatus: 503, percentage: 50 },
      },
    };
    const rolls = [0.29, 0.5]; // delay yes (29 < 30), abort no (50 is not < 50)
    expect(hopPolicy(action, () => rolls.shift() ?? 1)?.fault).toEqual({ delayMs: 2000 });
    expect(hopPolicy(action, never)?.fault).toEqual({});
    expect(hopPolicy(action, always)?.fault).toEqual({ delayMs: 2000, abortStatus: 503 });
  });
});

describe("Envoy's retry conditions", () => {
  const answer = (status: number, headers = {}) => ({ status, headers });
  const on = (...c: string[]) => new Set(c);

  it('5xx: any 5xx and no answer at all', () => {
    expect(qualifiesForRetry(on('5xx'), answer(500))).toBe(true);
    expect(qualifiesForRetry(on('5xx'), answer(503))).toBe(true);
    expect(qualifiesForRetry(on('5xx'), answer(404))).toBe(false);
    expect(qualifiesForRetry(on('5xx'), { reset: 'per-try-timeout' })).toBe(true);
    expect(qualifiesForRetry(on('5xx'), { reset: 'connect-failure' })).toBe(true);
  });

  it('gateway-error: 502, 503, 504 only', () => {
    expect(qualifiesForRetry(on('gateway-error'), answer(500))).toBe(false);
    for (const s of [502, 503, 504]) expect(qualifiesForRetry(on('gateway-error'), answer(s))).toBe(true);
  });

  it('reset and connect-failure: no HTTP answer', () => {
    expect(qualifiesForRetry(on('reset'), answer(503))).toBe(false);
    expect(qualifiesForRetry(on('reset'), { reset: 'remote' })).toBe(true);
    expect(qualifiesForRetry(on('connect-failure'), { reset: 'per-try-timeout' })).toBe(false);
    expect(qualifiesForRetry(on('connect-failure'), { reset: 'connect-failure' })).toBe(true);
    expect(qualifiesForRetry(on('refused-stream'), { reset: 'refused-stream' })).toBe(true);
  });

  it('retriable-4xx is 409 only; gRPC conditions read grpc-status', () => {
    expect(qualifiesForRetry(on('retriable-4xx'), answer(409))).toBe(true);
    expect(qualifiesForRetry(on('retriable-4xx'), answer(429))).toBe(false);
    expect(qualifiesForRetry(on('unavailable'), answer(200, { 'grpc-status': '14' }))).toBe(true);
    expect(qualifiesForRetry(on('unavailable'), answer(200, { 'grpc-status': '4' }))).toBe(false);
    expect(qualifiesForRetry(on('deadline-exceeded'), answer(200, { 'grpc-status': '4' }))).toBe(true);
  });

  it('back-off is fully jittered: [0, (2^n − 1) × 25 ms), capped at 250 ms', () => {
    expect(retryBackoffMs(1, () => 0.999)).toBe(24);
    expect(retryBackoffMs(2, () => 0.999)).toBe(74);
    expect(retryBackoffMs(9, () => 0.999)).toBe(249);
    expect(retryBackoffMs(3, () => 0)).toBe(0);
  });

  it("prints flags in Envoy's order", () => {
    expect(formatFlags(['FI', 'DI'])).toBe('DI,FI');
    expect(formatFlags(['URX', 'UT', 'UT'])).toBe('UT,URX');
    expect(formatFlags([])).toBe('');
  });
});

describe('loud, never silent', () => {
  const route = (action: RouteAction): RouteFile => ({
    file: 'x.yaml',
    text: '',
    route: { name: 'route-x', hostnames: ['x.meshapps.internal'], rules: [{ action }] },
  });

  it('settings that would silently do nothing are said loudly by routes:check and pnpm start (never refused: the API takes them)', () => {
    expect(
      resilienceProblems({ ...dest, faultInjectionPolicy: { abort: { httpStatus: 503 } } }, 'a').map(
        (p) => p.path,
      ),
    ).toEqual(['a.faultInjectionPolicy.abort']);
    expect(localNotices([route({ ...dest, retryPolicy: { numRetries: 2 } })])).toEqual([
      'local mesh: x.yaml: rules[0].action.retryPolicy.retryConditions: a retry policy without retryConditions never retries (here and on Cloud Run)',
    ]);
  });

  it('fields the local mesh does not emulate are named with what happens here instead', () => {
    const notices = localNotices([route({ ...dest, idleTimeout: '5s', urlRewrite: {} })]);
    expect(notices).toEqual([
      expect.stringMatching(/^local mesh: x\.yaml: rules\[0\]\.action\.idleTimeout: not emulated: /),
      'local mesh: x.yaml: rules[0].action.urlRewrite: not emulated: the destination gets the path and Host unchanged here',
    ]);
    expect(localNotices([route({ ...dest, timeout: '1s' })])).toEqual([]);
  });

  it('a route using them is labelled at start, and what is ignored is said', () => {
    expect(resilienceNotices([route({ ...dest })])).toEqual([]);
    expect(
      resilienceNotices([
        route({
          ...dest,
          timeout: '1s',
          faultInjectionPolicy: { abort: { httpStatus: 503, percentage: 5 } },
        }),
      ]),
    ).toEqual([
      "route-x uses timeout, faultInjectionPolicy: Envoy semantics; not confirmed on Cloud Run's managed data plane",
      'route-x: timeout and retryPolicy are ignored where faultInjectionPolicy is set (HttpRoute API)',
    ]);
  });
});
