import { createServer } from 'node:net';

/**
 * A free loopback port: bound and released at once. Another process may take it before ours binds
 * it (two stacks side by side), so a start is only trusted with saysListeningOn's proof.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const LISTENING = /\blistening (?:at|on) https?:\/\/[^\s"/]+:(\d+)/i;

/**
 * Whether a process's stdout line says it listens on `port`: Fastify's (and most servers') start
 * line, e.g. `Server listening at http://127.0.0.1:8080`, as JSON log or plain text. A port picked
 * free can be taken by another process before ours binds it. Only one process can listen on
 * 127.0.0.1:PORT (and, on Linux, on 0.0.0.0:PORT beside it; macOS lets a wildcard listener share
 * the port with a loopback one, which then gets every loopback connection), so for a process
 * listening on loopback this line proves that an answer on 127.0.0.1:PORT is its own.
 */
export function saysListeningOn(line: string, port: number): boolean {
  return Number(LISTENING.exec(line)?.[1]) === port;
}
