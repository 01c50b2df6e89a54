import { connect, createServer, type Server, type Socket } from 'node:net';

/** Kafka's API keys a test refuses by name (the protocol's numbers). */
export const KAFKA_API = { FindCoordinator: 10 } as const;

/**
 * Stands between Kafka clients and a broker that advertises this proxy's
 * address, reading the clients' request frames (a 4-byte size, then the API
 * key) so a test can make one kind of request fail the way a broker going
 * down fails it: the connection accepted, then dropped before an answer.
 */
export class KafkaRequestProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly refused = new Set<number>();

  constructor(
    private readonly port: number,
    private readonly brokerPort: number,
  ) {}

  /** Drops each connection that sends one of these requests, until allowAll(). */
  refuse(apiKey: number): void {
    this.refused.add(apiKey);
  }

  allowAll(): void {
    this.refused.clear();
  }

  async start(): Promise<void> {
    const server = createServer((client) => {
      const broker = connect(this.brokerPort, '127.0.0.1');
      for (const socket of [client, broker]) {
        this.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          this.sockets.delete(socket);
          client.destroy();
          broker.destroy();
        });
      }
      let pending = Buffer.alloc(0);
      client.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 6) {
          const frameLength = 4 + pending.readInt32BE(0);
          if (pending.length < frameLength) break;
          if (this.refused.has(pending.readInt16BE(4))) {
            client.destroy();
            return;
          }
          broker.write(pending.subarray(0, frameLength));
          pending = pending.subarray(frameLength);
        }
      });
      broker.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}
