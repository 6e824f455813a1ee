import type { Server } from 'node:http';

/** Stops listening and cuts open connections (keep-alive ones would hold close() open). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
