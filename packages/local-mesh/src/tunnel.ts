import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Hands an accepted CONNECT tunnel to the server behind it (the mesh hosts' HTTP server, or the
 * run.app TLS server). Between the `200` and the client's first byte, nothing times the socket:
 * the proxy's header timer is done, and a TLS server's handshake has not begun — Node's TLS
 * handshake timeout (120 s by default) only starts with it, and a FIN then goes unnoticed, so a
 * tunnel its client closed before TLS held a descriptor for two minutes (issue 22, 3). So until
 * the first byte the tunnel ends on the client's FIN, and at `firstByteMs` at the latest.
 */
export function handOver(socket: Socket, head: Buffer, next: Server, firstByteMs: number): void {
  socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  if (head.length > 0) {
    socket.unshift(head);
    next.emit('connection', socket);
    return;
  }
  const timer = setTimeout(() => socket.destroy(), firstByteMs);
  timer.unref();
  // Paused mode: the first bytes stay buffered, for whichever server takes the socket (the HTTP
  // parser reads them on its first 'data', TLS in its first read); once this listener is gone the
  // stream is back to how Node's HTTP server leaves a CONNECT socket.
  const onReadable = () => {
    clearTimeout(timer);
    socket.off('readable', onReadable);
    // Readable with nothing to read: the client's FIN.
    if (socket.readableLength === 0) return void socket.destroy();
    next.emit('connection', socket);
  };
  socket.on('readable', onReadable);
}
