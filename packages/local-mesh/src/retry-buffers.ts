import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

/**
 * Retries need the request body again, so a hop under a retry policy keeps it. Envoy keeps at most
 * `per_request_buffer_limit_bytes` of one request for retries (default: the listener's 1 MiB
 * buffer limit); past it, its router "gives up on the retry" and streams the request, which is
 * then never retried (stat `retry_or_shadow_abandoned`). The local mesh does the same per request,
 * and bounds the total too: without it 1,500 held uploads kept 1.5 GB in the mesh process
 * (issue 22, 9). Past either limit a request streams, unretried, as in Envoy.
 */
export const RETRY_BUFFER_LIMITS = {
  /** Envoy's default per-request buffer limit. */
  perRequestBytes: 1024 * 1024,
  /**
   * For every request of the process at once: 64 bodies at Envoy's limit, far more than any
   * workshop route retries at a time, and a small part of the 1 GB the whole local stack may use.
   */
  totalBytes: 64 * 1024 * 1024,
} as const;

/** Why a body was streamed rather than kept: the hop's log line and span say it. */
export type NotKept = 'over the 1 MiB per-request retry buffer' | 'over the retry buffer budget';

/** A request body read for a retry policy: kept (sendable again) or streaming (sent once). */
export type RetryBody =
  | { kept: Buffer; release: () => void }
  | { stream: Readable; why: NotKept; release: () => void };

/** The bytes every hop of the process keeps for retries, against one budget. */
export class RetryBuffers {
  private held = 0;
  readonly perRequestBytes: number;
  readonly totalBytes: number;

  constructor(limits: { perRequestBytes: number; totalBytes: number } = RETRY_BUFFER_LIMITS) {
    this.perRequestBytes = limits.perRequestBytes;
    this.totalBytes = limits.totalBytes;
  }

  /** Bytes kept now, by every request of the process. */
  get heldBytes(): number {
    return this.held;
  }

  /**
   * Reads `req`'s body: the whole of it, if it fits this request's limit and the budget; else the
   * bytes read so far followed by the rest, as a stream. The bytes read stay counted until
   * `release` (call it once the exchange is over: a streaming body holds them until it is sent).
   */
  async read(req: IncomingMessage): Promise<RetryBody> {
    const chunks: Buffer[] = [];
    let size = 0;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.held -= size;
    };
    const it = req[Symbol.asyncIterator]();
    try {
      for (let next = await it.next(); !next.done; next = await it.next()) {
        const chunk = next.value as Buffer;
        const why =
          size + chunk.length > this.perRequestBytes
            ? 'over the 1 MiB per-request retry buffer'
            : this.held + chunk.length > this.totalBytes
              ? 'over the retry buffer budget'
              : undefined;
        if (why) return { stream: Readable.from(rest(chunks, chunk, it)), why, release };
        chunks.push(chunk);
        size += chunk.length;
        this.held += chunk.length;
      }
    } catch (err) {
      // The client went away mid-body: nothing is kept for it.
      release();
      throw err;
    }
    return { kept: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size), release };
  }
}

async function* rest(
  read: Buffer[],
  next: Buffer,
  it: AsyncIterator<unknown>,
): AsyncGenerator<Buffer, void, undefined> {
  yield* read;
  read.length = 0;
  yield next;
  for (let more = await it.next(); !more.done; more = await it.next()) yield more.value as Buffer;
}

/** The process's budget: every sidecar's hops keep their retry bodies against it. */
export const retryBuffers = new RetryBuffers();
