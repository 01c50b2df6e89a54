import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { clientCredentialsTokens } from './oauth-client-credentials.ts';

/** A token endpoint of the test's own: what it was asked, and what it answers. */
function tokenEndpoint(
  answer: (request: IncomingMessage, body: string) => { status: number; body: unknown },
) {
  const requests: { authorization: string | undefined; body: string }[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      requests.push({ authorization: request.headers.authorization, body });
      const { status, body: json } = answer(request, body);
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  return {
    requests,
    url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
    start: () => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test('it authenticates with HTTP basic, asks for the scope, and keeps the token until most of its life has passed', async () => {
  let issued = 0;
  const endpoint = tokenEndpoint(() => ({
    status: 200,
    body: { access_token: `token-${++issued}`, expires_in: 1 },
  }));
  await endpoint.start();
  try {
    let clock = 1_000_000;
    const tokens = clientCredentialsTokens(
      {
        tokenUrl: endpoint.url(),
        clientId: 'eventline relay',
        clientSecret: 's3cret:with/odd chars',
        scope: 'kafka',
        timeoutMs: 2_000,
      },
      () => clock,
    );
    const [first, second] = await Promise.all([tokens(), tokens()]);
    expect([first, second]).toEqual([{ value: 'token-1' }, { value: 'token-1' }]);
    expect(endpoint.requests).toHaveLength(1);
    const [{ authorization, body }] = endpoint.requests as [{ authorization: string; body: string }];
    const [id, secret] = Buffer.from(authorization.replace(/^Basic /, ''), 'base64')
      .toString()
      .split(':');
    expect([decodeURIComponent(id ?? ''), decodeURIComponent(secret ?? '')]).toEqual([
      'eventline relay',
      's3cret:with/odd chars',
    ]);
    expect(Object.fromEntries(new URLSearchParams(body))).toEqual({
      grant_type: 'client_credentials',
      scope: 'kafka',
    });

    // 80% of a one-second lifetime: a connection made after that gets a new token.
    clock += 799;
    expect(await tokens()).toEqual({ value: 'token-1' });
    clock += 1;
    expect(await tokens()).toEqual({ value: 'token-2' });
  } finally {
    await endpoint.stop();
  }
});

test('a refusal names the endpoint and its answer, never the secret', async () => {
  const endpoint = tokenEndpoint(() => ({ status: 401, body: { error: 'invalid_client' } }));
  await endpoint.start();
  try {
    const tokens = clientCredentialsTokens({
      tokenUrl: endpoint.url(),
      clientId: 'eventline',
      clientSecret: 'the-secret',
      timeoutMs: 2_000,
    });
    const failure = await tokens().then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(failure).toBe(
      `OAuth token endpoint ${endpoint.url()} refused the client credentials: 401 {"error":"invalid_client"}`,
    );
  } finally {
    await endpoint.stop();
  }
});
