/**
 * An open-loop load at a fixed rate: request i leaves at start + i / rate,
 * whether or not earlier ones were answered, as wrk2 and k6's
 * constant-arrival-rate do. Written here because autocannon's overallRate is a
 * budget per second and connection that each connection spends at once when
 * its second begins: "50/s" over 32 connections arrived as a burst of 32 every
 * second, and the end-to-end latencies measured that burst's queue (a
 * PlaceOrder's p50 73 ms at 50/s, against 10 ms for the same 50/s evenly
 * spaced: docs/performance.md).
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpRequestSpec } from './http-load.ts';
import { quantile } from './stats.ts';

export interface PacedLoadOptions {
  readonly url: string;
  /** Requests per second, evenly spaced. */
  readonly rate: number;
  /** Seconds during which requests leave. */
  readonly duration: number;
  /** Keep-alive connections at most; a request due while all are busy waits for one, its wait counted. */
  readonly connections: number;
  /** The request to send as the n-th (from 1): every request can be distinct. */
  readonly request: (n: number) => HttpRequestSpec;
  readonly onResponse?: (status: number, body: string) => void;
}

export interface PacedLoadResult {
  /** Seconds from the first request's departure to the last answer. */
  readonly duration: number;
  readonly '2xx': number;
  readonly non2xx: number;
  readonly errors: number;
  /** Milliseconds from each request's due time (not its sending) to its answer read. */
  readonly latency: { readonly p50: number; readonly p99: number; readonly p99_9: number };
}

const REQUEST_TIMEOUT_MS = 30_000;

export async function pacedLoad(options: PacedLoadOptions): Promise<PacedLoadResult> {
  const target = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  const tally = { ok: 0, non2xx: 0, errors: 0 };
  const answers: Promise<void>[] = [];

  const send = (spec: HttpRequestSpec, dueAt: number) =>
    new Promise<void>((resolve) => {
      const request = http.request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          method: spec.method,
          path: spec.path,
          headers: { ...spec.headers, 'content-length': Buffer.byteLength(spec.body) },
          timeout: REQUEST_TIMEOUT_MS,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            latencies.push(performance.now() - dueAt);
            if (status >= 200 && status < 300) tally.ok++;
            else tally.non2xx++;
            options.onResponse?.(status, Buffer.concat(chunks).toString('utf8'));
            resolve();
          });
          response.on('error', () => {
            tally.errors++;
            resolve();
          });
        },
      );
      request.on('timeout', () => request.destroy(new Error('timed out')));
      request.on('error', () => {
        tally.errors++;
        resolve();
      });
      request.end(spec.body);
    });

  const total = Math.round(options.rate * options.duration);
  const interval = 1000 / options.rate;
  const start = performance.now();
  let sent = 0;
  try {
    while (sent < total) {
      const now = performance.now();
      // Every request due by now leaves now: a late timer sends the ones it owes together.
      while (sent < total && start + sent * interval <= now) {
        answers.push(send(options.request(sent + 1), start + sent * interval));
        sent++;
      }
      if (sent < total) await sleep(Math.max(0, start + sent * interval - performance.now()));
    }
    await Promise.all(answers);
  } finally {
    agent.destroy();
  }
  const sorted = Float64Array.from(latencies).sort();
  return {
    duration: (performance.now() - start) / 1000,
    '2xx': tally.ok,
    non2xx: tally.non2xx,
    errors: tally.errors,
    latency: {
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      p99_9: quantile(sorted, 0.999),
    },
  };
}
