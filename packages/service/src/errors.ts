/**
 * One error shape for every failed hop, following Envoy's status conventions:
 * upstream HTTP errors pass through, connect failures are 503, timeouts 504,
 * unexpected upstream answers 502, bad input 400.
 */
export interface ErrorBody {
  error: {
    status: number;
    message: string;
    /** The hop that failed, e.g. "client -> target1.meshapps.internal". */
    hop?: string;
    /** Services the request passed through, outermost first. */
    chain: string[];
  };
}

export class HopError extends Error {
  readonly status: number;
  readonly hop: string | undefined;
  readonly chain: string[];

  constructor(status: number, message: string, opts: { hop?: string; chain?: string[] } = {}) {
    super(message);
    this.name = 'HopError';
    this.status = status;
    this.hop = opts.hop;
    this.chain = opts.chain ?? [];
  }

  /** The same error as seen one service further out: that service joins the front of the chain. */
  seenBy(service: string): HopError {
    return new HopError(this.status, this.message, { hop: this.hop, chain: [service, ...this.chain] });
  }

  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { status: this.status, message: this.message, chain: this.chain };
    if (this.hop !== undefined) error.hop = this.hop;
    return { error };
  }
}

/** Reads our own error shape back from an upstream body, so the innermost failing hop stays named. */
export function parseErrorBody(value: unknown): ErrorBody['error'] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const error = (value as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, message, hop, chain } = error as Record<string, unknown>;
  if (typeof status !== 'number' || typeof message !== 'string') return undefined;
  const parsed: ErrorBody['error'] = {
    status,
    message,
    chain: Array.isArray(chain) ? chain.filter((c): c is string => typeof c === 'string') : [],
  };
  if (typeof hop === 'string') parsed.hop = hop;
  return parsed;
}
