/**
 * Response header carrying the trace id, so a person (or a test) can look the trace up.
 * instrumentation.ts writes the same name as a literal on purpose: it is the file participants
 * copy (decision 085), and there the header they will `curl | grep` for stays in sight.
 */
export const TRACE_ID_HEADER = 'x-trace-id';
