import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * Stands between a client and a shared server (Redis, PostgreSQL) so a test can
 * take the server away from that one client without stopping it for anyone else.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private listeningOn = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  get port(): number {
    return this.listeningOn;
  }

  /** Listens (again, on the same port after a cut). */
  async start(): Promise<void> {
    const server = createServer((downstream) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const socket of [downstream, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          this.sockets.delete(socket);
          downstream.destroy();
          upstream.destroy();
        });
      }
      downstream.pipe(upstream);
      upstream.pipe(downstream);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listeningOn, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (typeof address === 'object' && address) this.listeningOn = address.port;
    this.server = server;
  }

  /** Drops every connection and refuses new ones until start(). */
  async cut(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  /** The URL with its host and port replaced by this proxy's. */
  urlFor(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.listeningOn);
    return parsed.toString();
  }
}
