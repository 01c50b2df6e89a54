/**
 * autocannon, the closed-loop HTTP load generator of the gateway scenario
 * (each connection sends its next request when its answer is read), behind the
 * few options it uses (the package ships no types). Loads at a fixed rate are
 * paced-load.ts's.
 */
import { createRequire } from 'node:module';

export interface HttpRequestSpec {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface HttpLoadOptions {
  readonly url: string;
  readonly connections: number;
  /** seconds */
  readonly duration: number;
  readonly requests: readonly {
    readonly method: string;
    readonly path: string;
    readonly headers: Record<string, string>;
    /** Called before each request: the place to make every request distinct. */
    readonly setupRequest?: (request: HttpRequestSpec) => HttpRequestSpec;
  }[];
}

/** autocannon's latency statistics, in milliseconds. */
export interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly p99_9: number;
  readonly average: number;
  readonly max: number;
}

export interface HttpLoadResult {
  readonly latency: Latency;
  /** seconds the run lasted */
  readonly duration: number;
  readonly '2xx': number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
}

type Autocannon = (options: object) => Promise<HttpLoadResult>;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export const AUTOCANNON_VERSION = (
  createRequire(import.meta.url)('autocannon/package.json') as { version: string }
).version;

export function httpLoad(options: HttpLoadOptions): Promise<HttpLoadResult> {
  return autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.duration,
    requests: options.requests,
    // Long enough for any answer the gateway gives; a request still unanswered then counts as a timeout.
    timeout: 30,
  });
}
