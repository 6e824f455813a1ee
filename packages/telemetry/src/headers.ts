/** Response header carrying the trace id, so a person (or a test) can look the trace up. */
export const TRACE_ID_HEADER = 'x-trace-id';
