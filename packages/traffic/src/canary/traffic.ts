import { answeredBy } from '@meshapps/measure';
import { Agent } from 'undici';
import { sendRequests } from '../send.ts';
import type { Answer } from './gate.ts';

/** Where the canary's requests go and come back from: real HTTP, or a stand-in in tests. */
export interface Traffic {
  /** Sends `n` requests and returns their answers (in any order). */
  send(n: number): Promise<Answer[]>;
  close(): Promise<void>;
}

/**
 * Who served an answer: a 200 names the chain (`client <- target-green`), an error names the
 * services it passed through (`chain: ["client", "target-green"]`). An error that reached no service
 * past the entry (a 403 from IAM, a refused connection) names none.
 */
export function classify(status: number, body: unknown): Pick<Answer, 'service' | 'ok'> {
  const message = (body as { message?: unknown } | undefined)?.message;
  if (status === 200 && typeof message === 'string') return { service: answeredBy(message), ok: true };
  const chain = (body as { error?: { chain?: unknown } } | undefined)?.error?.chain;
  const names = Array.isArray(chain) ? chain.filter((c): c is string => typeof c === 'string') : [];
  return { service: names.length > 1 ? names[names.length - 1] : undefined, ok: false };
}

/** The participant's own entry, e.g. http://127.0.0.1:8080/call/target.meshapps.internal. */
export function httpTraffic(url: URL, concurrency: number): Traffic {
  const dispatcher = new Agent({ connections: concurrency });
  return {
    async send(n) {
      const answers = await sendRequests(url, n, { dispatcher, concurrency });
      return answers.map((a) => ({ ...classify(a.status, a.body), status: a.status, ms: a.ms }));
    },
    close: () => dispatcher.close(),
  };
}
