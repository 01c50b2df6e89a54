import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * What a connection's client sends, before it reaches the server: the bytes to
 * forward (empty while a frame is incomplete), or undefined to drop the connection.
 */
export type ClientDataFilter = (chunk: Buffer) => Buffer | undefined;

export interface TcpProxyOptions {
  /** The port to listen on; a free one when left out. */
  readonly port?: number;
  /** Called once per connection, for a filter that may keep state across its chunks. */
  readonly clientData?: () => ClientDataFilter;
}

/**
 * Stands between a client and a shared server (Redis, PostgreSQL, Kafka) so a
 * test can take the server away from that one client without stopping it for
 * anyone else.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private listeningOn: number;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    private readonly options: TcpProxyOptions = {},
  ) {
    this.listeningOn = options.port ?? 0;
  }

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
      const filter = this.options.clientData?.();
      if (filter) {
        downstream.on('data', (chunk: Buffer) => {
          const forwarded = filter(chunk);
          if (forwarded === undefined) downstream.destroy();
          else if (forwarded.length > 0) upstream.write(forwarded);
        });
      } else {
        downstream.pipe(upstream);
      }
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
