import { Writable } from 'node:stream';
import { createLogger } from '../../services/platform/telemetry/index.ts';

export type LogLine = Record<string, unknown> & { msg?: string; service?: string };

/** A service's real logger (redaction and all), its lines kept (in `lines`, when given) for the test to read. */
export function capturedLogger(
  service: string,
  lines: LogLine[] = [],
): { log: ReturnType<typeof createLogger>; lines: LogLine[] } {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { log: createLogger(service, 'info', sink), lines };
}
