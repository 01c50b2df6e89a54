import type { ClientDataFilter } from './tcp-proxy.ts';

/** Kafka's API keys a test refuses by name (the protocol's numbers). */
export const KAFKA_API = { FindCoordinator: 10 } as const;

/**
 * For a TcpProxy between Kafka clients and a broker that advertises the
 * proxy's address: reads the clients' request frames (a 4-byte size, then the
 * API key) so a test can make one kind of request fail the way a broker going
 * down fails it: the connection accepted, then dropped before an answer.
 */
export class KafkaRequestRefusal {
  private readonly refused = new Set<number>();

  /** Drops each connection that sends one of these requests, until allowAll(). */
  refuse(apiKey: number): void {
    this.refused.add(apiKey);
  }

  allowAll(): void {
    this.refused.clear();
  }

  /** A filter for one connection (TcpProxyOptions.clientData): whole frames pass, one at a time. */
  readonly forConnection = (): ClientDataFilter => {
    let pending = Buffer.alloc(0);
    return (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      let complete = 0;
      while (pending.length - complete >= 6) {
        const frameLength = 4 + pending.readInt32BE(complete);
        if (pending.length - complete < frameLength) break;
        if (this.refused.has(pending.readInt16BE(complete + 4))) return undefined;
        complete += frameLength;
      }
      const forwarded = pending.subarray(0, complete);
      pending = pending.subarray(complete);
      return forwarded;
    };
  };
}
