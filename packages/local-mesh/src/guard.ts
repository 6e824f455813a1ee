import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * Failure domains for the local mesh's listeners: whatever one request does, it ends that
 * request (with a status and a JSON error) and never the process that hosts every other listener.
 */
export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** A handler whose thrown errors and rejections answer 500 naming the listener (or cut the reply). */
export function guarded(listener: string, handler: Handler): Handler {
  return (req, res) => {
    const fail = (err: unknown) => {
      if (res.headersSent) return void res.destroy();
      const message = err instanceof Error ? err.message : String(err);
      sendJsonError(res, 500, `${listener}: internal error: ${message}`);
      req.resume();
    };
    try {
      const done = handler(req, res);
      if (done) done.catch(fail);
    } catch (err) {
      fail(err);
    }
  };
}

/** `{"error":{"status":…,"message":…}}` — the shape every meshapps service answers errors in. */
export function sendJsonError(res: ServerResponse, status: number, message: string): void {
  const body = `${JSON.stringify({ error: { status, message } })}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Content Too Large'],
};

/**
 * Node's parser refuses a malformed request line or header before any handler runs; answer it
 * as Node would (400, 408, 431) but with a JSON body saying which listener refused what. So too
 * an `Expect` other than `100-continue`, which Node answers with a bare 417 before any handler.
 */
export function answerClientErrors(server: Server, listener: string): void {
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const expectation = String(req.headers.expect).slice(0, 64);
    sendJsonError(res, 417, `${listener}: Expect: ${expectation} is not supported (only 100-continue)`);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, duplex: Duplex) => {
    const socket = duplex as Socket;
    const [status, title] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'Bad Request'];
    if (socket.writable && err.code !== 'ECONNRESET') {
      const message = `${listener}: ${title.toLowerCase()} (${err.code ?? err.message})`;
      const body = `${JSON.stringify({ error: { status, message } })}\n`;
      socket.end(
        `HTTP/1.1 ${status} ${title}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
      // Linger a moment so the answer is read before the socket goes (closing at once could reset it).
      setTimeout(() => socket.destroy(), 1000).unref();
    } else socket.destroy();
  });
}

/** A listener that is no proxy answers CONNECT with 405 (Node would close the socket unanswered). */
export function refuseConnect(server: Server, listener: string): void {
  server.on('connect', (_req: IncomingMessage, duplex: Duplex) => {
    const socket = duplex as Socket;
    socket.on('error', () => socket.destroy());
    const body = `${JSON.stringify({ error: { status: 405, message: `${listener}: CONNECT is not served here` } })}\n`;
    socket.end(
      `HTTP/1.1 405 Method Not Allowed\r\nallow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
    setTimeout(() => socket.destroy(), 1000).unref();
  });
}
