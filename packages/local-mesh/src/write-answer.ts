import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FrontAnswer } from './cloud-run-front.ts';

/**
 * The client's side of one exchange: when its client goes away, and how an answer is written to
 * it. The hop relay (mesh callers) and a front's direct clients (entries, run.app) both end here.
 */

/**
 * Aborts when the client goes away before its answer is complete: the app then sees its request's
 * connection close, as Cloud Run cancels a request whose client disconnected. So too when the
 * answer is complete but the request is not (an app that answered before reading a slow upload):
 * nothing would ever end the app's request, and its socket would be held for good (issue 22, 5).
 */
export function clientGone(res: ServerResponse): AbortSignal {
  const gone = new AbortController();
  if (res.destroyed) gone.abort();
  res.once('close', () => {
    if (!res.writableFinished || !res.req.complete) gone.abort();
  });
  return gone.signal;
}

export interface AnswerEdits {
  /** Route response header modifiers: only for what the app answered, not Cloud Run's own pages. */
  editResponseHeaders?: (headers: IncomingHttpHeaders) => void;
  /** The app's answer broke off after it had begun (the client's connection is cut too). */
  onUpstreamCut?: () => void;
}

/** Writes an answer to the client: the point after which it can no longer be retried. */
export function writeAnswer(answer: FrontAnswer, res: ServerResponse, edits: AnswerEdits = {}): void {
  if (res.destroyed || res.writableEnded) return void answer.body.resume();
  if (answer.fromApp) edits.editResponseHeaders?.(answer.headers);
  const socket = res.socket;
  if (!answer.fromApp && answer.headers.connection === 'close' && socket)
    res.once('finish', () => lingerThenClose(socket, res.req));
  res.writeHead(answer.status, answer.headers);
  // `pipe` and three listeners rather than `pipeline`: pipeline aborts an AbortController of its
  // own when each response finishes, and building that DOMException (with its stack) was 3.4% of
  // the mesh process's CPU. The semantics kept are pipeline's: an app that dies mid-body cuts the
  // client too, as on Cloud Run (after `onUpstreamCut` says why), and a client that goes away
  // takes the app's answer with it.
  const body = answer.body;
  let cut = false;
  const cutClient = () => {
    if (cut) return;
    cut = true;
    if (res.destroyed) return;
    edits.onUpstreamCut?.();
    res.destroy();
  };
  body.once('error', cutClient);
  body.once('close', () => {
    if (!body.readableEnded) cutClient();
  });
  res.once('close', () => {
    if (!body.readableEnded) body.destroy();
  });
  res.on('error', () => {});
  body.pipe(res);
}

/** How long, and for how many more bytes, a refused request's connection is read before it closes. */
const LINGER = { ms: 2000, bytes: 4 * 1024 * 1024 };

/**
 * Ends a connection whose answer said `connection: close` while the client may still be sending
 * (a 413). Node's server has already sent FIN after the answer and would close the socket at once;
 * closing with the body's bytes unread makes the kernel send a reset, and a client still writing
 * then fails with EPIPE before it reads the 413. So, as nginx's lingering close does, the rest is
 * read and discarded for a bounded time and byte count (the client sees FIN and stops), then closed.
 * Call it on the answer's 'finish' (the entries' 503 while starting or stopping does too).
 */
export function lingerThenClose(socket: Socket, req: IncomingMessage): void {
  // Node's `destroySoon` (connection: close) destroys the socket once its FIN is out; this takes
  // over. Should Node name that listener differently, the socket just closes at once, as before.
  socket.removeListener('finish', socket.destroy);
  let discarded = 0;
  const close = () => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(close, LINGER.ms);
  timer.unref();
  socket.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > LINGER.bytes) close();
  });
  socket.once('end', close);
  // A request paused on a cut pipe would stop the parser from reading the socket: let it flow.
  req.resume();
  socket.resume();
}
