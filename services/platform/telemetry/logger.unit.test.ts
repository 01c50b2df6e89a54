import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';
import { REDACTED_PATHS } from './index.ts';

function capture(): { lines: string[]; log: Logger } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, log: pino({ redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink) };
}

test('credentials and personal payload fields never reach a log line', () => {
  const { lines, log } = capture();
  log.info(
    {
      req: { headers: { authorization: 'Bearer secret-jwt', 'x-api-key': 'el_live_key' } },
      command: { payload: { customerId: 'alice@example.com', items: [] } },
      apiKey: 'el_live_key',
      tenant: { token: 'tok-8c1f', password: 'pw-77ab' },
    },
    'request',
  );
  const line = lines.join('');
  for (const secret of ['secret-jwt', 'el_live_key', 'alice@example.com', 'tok-8c1f', 'pw-77ab']) {
    expect(line).not.toContain(secret);
  }
  expect(line).toContain('[redacted]');
});
