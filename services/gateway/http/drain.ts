import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * Stops taking connections and lets the requests in flight finish. server.close()
 * alone waits forever on keep-alive clients that keep sending, so from now on every
 * response says `Connection: close` and idle sockets are closed; whatever is still
 * open when the grace period ends is cut, so a rollout never waits on a slow client.
 */
export function drainServer(server: Server, graceMs: number): Promise<void> {
  server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
    response.setHeader('connection', 'close');
  });
  return new Promise<void>((resolve, reject) => {
    const cut = setTimeout(() => server.closeAllConnections(), graceMs);
    cut.unref();
    server.close((error) => {
      clearTimeout(cut);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
