import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { CloudRunFront, FrontAnswer, FrontRequest } from './cloud-run-front.ts';
import { type AttemptResult, type HopPolicy, qualifiesForRetry, retryBackoffMs } from './resilience.ts';
import type { NotKept, RetryBuffers } from './retry-buffers.ts';
import { clientGone, writeAnswer } from './write-answer.ts';

/** Runs `fn` after `ms`; returns a cancel. Injected so tests can run a 2 s delay in 100 ms. */
export type Schedule = (ms: number, fn: () => void) => () => void;

export const realTime: Schedule = (ms, fn) => {
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
};

export interface HopRelay {
  front: CloudRunFront;
  /** The path and query to send (origin-form). */
  url: string;
  /** The request headers to send (identity and route modifiers applied). */
  headers: IncomingHttpHeaders;
  editResponseHeaders: (headers: IncomingHttpHeaders) => void;
  /** The app broke off its answer after it had begun (Envoy's UC). */
  onUpstreamCut?: () => void;
  random: () => number;
  schedule: Schedule;
  /** Where retry bodies are kept, against the process's budget (retry-buffers.ts). */
  retryBuffers: RetryBuffers;
}

/** What the hop log line and span say about the hop once it is over. */
export interface HopOutcome {
  iam: string;
  /** Envoy response flags (UT, URX, FI, DI…). */
  flags: string[];
  attempts: number;
  /** Set when a retry policy could not be applied because the body was not kept. */
  notRetried?: NotKept;
}

/**
 * Relays one mesh request to the destination's Cloud Run front, once through each module: the
 * policy is applied here (Envoy's fault filter, then its router: attempts under the route timeout,
 * retrying only on the listed conditions), each attempt is one `front.send`, and the answer kept
 * is written to the caller here (`writeAnswer`). Without a policy: one attempt, streamed.
 */
export function relayHop(
  req: IncomingMessage,
  res: ServerResponse,
  policy: HopPolicy | undefined,
  hop: HopRelay,
): HopOutcome {
  const outcome: HopOutcome = { iam: '', flags: [], attempts: 1 };
  // The caller went away before its answer was complete: stop whatever is still pending.
  const gone = clientGone(res);
  const work = !policy
    ? once(req, res, hop, outcome, gone)
    : policy.fault
      ? withFaults(req, res, policy.fault, hop, outcome, gone)
      : withRetries(req, res, policy, hop, outcome, gone);
  work.catch(() => {
    // A client that vanished mid-body, or an answer that broke: never more than this request.
    if (!res.headersSent) localReply(res, 503, 'upstream connect error or disconnect/reset before headers');
    else res.destroy();
  });
  return outcome;
}

/** The request as the front gets it: the sidecar's headers, this body (the stream, or a buffer). */
function message(req: IncomingMessage, hop: HopRelay, body: FrontRequest['body']): FrontRequest {
  return { method: req.method ?? 'GET', url: hop.url, headers: hop.headers, body };
}

/** One attempt, the body streamed: no policy, or what is left once the fault filter lets it pass. */
async function once(
  req: IncomingMessage,
  res: ServerResponse,
  hop: HopRelay,
  outcome: HopOutcome,
  gone: AbortSignal,
): Promise<void> {
  const { decision, answer } = await hop.front.send(message(req, hop, req), 'mesh', gone);
  outcome.iam = decision.reason;
  writeAnswer(await answer, res, hop);
}

/** Envoy's fault filter runs before the router; the rule's timeout and retries are then off (CSM). */
async function withFaults(
  req: IncomingMessage,
  res: ServerResponse,
  fault: NonNullable<HopPolicy['fault']>,
  hop: HopRelay,
  outcome: HopOutcome,
  gone: AbortSignal,
): Promise<void> {
  if (fault.delayMs !== undefined) {
    outcome.flags.push('DI');
    await wait(hop.schedule, fault.delayMs, gone);
    if (gone.aborted) return;
  }
  if (fault.abortStatus !== undefined) {
    outcome.flags.push('FI');
    outcome.iam = 'not sent: fault injection abort';
    req.resume();
    return localReply(res, fault.abortStatus, 'fault filter abort');
  }
  await once(req, res, hop, outcome, gone);
}

async function withRetries(
  req: IncomingMessage,
  res: ServerResponse,
  policy: HopPolicy,
  hop: HopRelay,
  outcome: HopOutcome,
  gone: AbortSignal,
): Promise<void> {
  // The route timeout starts once the whole request is in (Envoy), so read the body first.
  const read = policy.retry ? await hop.retryBuffers.read(req) : undefined;
  if (read) res.once('close', read.release);
  let body: FrontRequest['body'] = req;
  if (read && 'kept' in read) body = read.kept;
  if (read && 'stream' in read) {
    body = read.stream;
    outcome.notRetried = read.why;
  }
  // A body not kept cannot be sent twice: Envoy then gives up retrying, and so do we.
  const retries = Buffer.isBuffer(body) ? (policy.retry?.numRetries ?? 0) : 0;
  const conditions = policy.retry?.conditions ?? new Set<string>();
  const routeTimeout = new AbortController();
  const cancelRouteTimer =
    policy.timeoutMs === undefined ? () => {} : hop.schedule(policy.timeoutMs, () => routeTimeout.abort());
  res.once('close', cancelRouteTimer);
  const over = AbortSignal.any([routeTimeout.signal, gone]);

  for (let attempt = 0; ; attempt++) {
    if (attempt > 0) await wait(hop.schedule, retryBackoffMs(attempt, hop.random), over);
    if (gone.aborted) return;
    if (routeTimeout.signal.aborted) return timedOut(res, outcome);

    const perTry = new AbortController();
    const perTryMs = policy.retry?.perTryTimeoutMs;
    const cancelPerTry = perTryMs === undefined ? () => {} : hop.schedule(perTryMs, () => perTry.abort());
    const attemptSignal = AbortSignal.any([perTry.signal, over]);
    const { decision, answer } = await hop.front.send(message(req, hop, body), 'mesh', attemptSignal);
    outcome.iam = decision.reason;
    outcome.attempts = attempt + 1;
    const result = await Promise.race([answer, aborted(attemptSignal)]);
    cancelPerTry();
    if (gone.aborted) return;
    if (routeTimeout.signal.aborted) return timedOut(res, outcome);

    const seen: AttemptResult =
      result === 'aborted'
        ? { reset: 'per-try-timeout' }
        : { status: result.status, headers: result.headers };
    const retryable = qualifiesForRetry(conditions, seen);
    if (retryable && attempt < retries) {
      if (result !== 'aborted') result.body.resume();
      continue;
    }
    // The answer would have been retried but the retries are spent: Envoy's URX.
    if (retryable && retries > 0) outcome.flags.push('URX');
    if (result === 'aborted') return timedOut(res, outcome);
    return commit(result, res, hop, routeTimeout.signal, perTry, outcome);
  }
}

/** Past this point the answer is the caller's; a route timeout now can only cut it (Envoy). */
function commit(
  answer: FrontAnswer,
  res: ServerResponse,
  hop: HopRelay,
  routeTimeout: AbortSignal,
  attempt: AbortController,
  outcome: HopOutcome,
): void {
  routeTimeout.addEventListener('abort', () => {
    outcome.flags.push('UT');
    attempt.abort();
    res.destroy();
  });
  writeAnswer(answer, res, hop);
}

function timedOut(res: ServerResponse, outcome: HopOutcome): void {
  outcome.flags.push('UT');
  localReply(res, 504, 'upstream request timeout');
}

/** Envoy's local replies are short plain text: "upstream request timeout", "fault filter abort". */
function localReply(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent || res.destroyed || res.socket?.destroyed) return;
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function wait(schedule: Schedule, ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const cancel = schedule(ms, () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
    const onAbort = () => {
      cancel();
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function aborted(signal: AbortSignal): Promise<'aborted'> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve('aborted');
    else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
}
