import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';

/** Everything a test started, closed in reverse order in afterEach/afterAll. */
export class Cleanup {
  private readonly steps: (() => unknown)[] = [];

  add(step: () => unknown): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) await step();
  }
}

/** Listens on 127.0.0.1, port 0; resolves the port. */
export async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

/** A port with nothing listening on it (bound once, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface HttpStub {
  port: number;
  server: http.Server;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** A plain HTTP upstream that records every request it gets; `handler` answers. */
export async function startHttpStub(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<HttpStub> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  const port = await listen(server);
  return { port, server, seen, close: () => closeHttp(server) };
}

export async function closeHttp(server: http.Server): Promise<void> {
  const closed = new Promise((resolve) => server.close(resolve));
  server.closeAllConnections();
  await closed;
}

/** Answers a JSON body with a status, as a meshapps service (or anything pretending) would. */
export function json(status: number, body: unknown) {
  return (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
}

/** The page Cloud Run's front end answers when IAM refuses the caller (no `run.invoker`). */
export const CLOUD_RUN_403_HTML =
  '<html><head>\n<meta http-equiv="content-type" content="text/html;charset=utf-8">\n' +
  '<title>403 Forbidden</title>\n</head>\n<body text=#000000 bgcolor=#ffffff>\n' +
  '<h1>Error: Forbidden</h1>\n<h2>Your client does not have permission to get URL <code>/</code> from this server.</h2>\n' +
  '<h2></h2>\n</body></html>\n';

export interface TcpStub {
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** A raw TCP server, for answers no HTTP server would give (resets, half bodies) and connection counting. */
export async function startTcpStub(onSocket: (socket: net.Socket) => void = () => {}): Promise<TcpStub> {
  const sockets = new Set<net.Socket>();
  let count = 0;
  const server = net.createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onSocket(socket);
  });
  const port = await listen(server);
  return {
    port,
    connections: () => count,
    close: async () => {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

/** Reads one request head, answers 200 with half of the promised JSON body, then resets the connection. */
export function resetMidBody(socket: net.Socket): void {
  socket.once('data', () => {
    socket.write(
      'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 40\r\n\r\n{"message":"tar',
      () => setTimeout(() => socket.resetAndDestroy(), 20),
    );
  });
}
