import { z } from 'zod';

/** Where an OAUTHBEARER client gets its tokens: an identity provider's token endpoint. */
export interface ClientCredentials {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope?: string | undefined;
  /** Some providers (Auth0, say) need the API the token is for. */
  readonly audience?: string | undefined;
  readonly timeoutMs: number;
}

interface Token {
  readonly value: string;
  /** When to fetch the next one: most of the way to its expiry, so a connection never presents an expired one. */
  readonly refreshAt: number;
}

const tokenResponse = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive().optional(),
});

/**
 * The OAuth 2.0 client credentials grant (RFC 6749 §4.4), as Kafka's own Java
 * client does it for SASL/OAUTHBEARER: the client authenticates with HTTP
 * basic, the token is kept until 80% of its lifetime has passed, and callers
 * at the same moment share one request. kafkajs asks for a token on every new
 * broker connection; a broker that re-authenticates or a reconnect after
 * expiry gets a fresh one. Errors name the endpoint and its answer, never the
 * secret.
 */
export function clientCredentialsTokens(
  credentials: ClientCredentials,
  now: () => number = Date.now,
): () => Promise<{ value: string }> {
  let current: Token | undefined;
  let fetching: Promise<Token> | undefined;
  const fetchToken = async (): Promise<Token> => {
    const basic = Buffer.from(
      `${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret)}`,
    ).toString('base64');
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (credentials.scope) form.set('scope', credentials.scope);
    if (credentials.audience) form.set('audience', credentials.audience);
    const started = now();
    let response: Response;
    try {
      response = await fetch(credentials.tokenUrl, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
        signal: AbortSignal.timeout(credentials.timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new Error(`OAuth token endpoint ${credentials.tokenUrl} unreachable (${cause})`, {
        cause: error,
      });
    }
    if (!response.ok) {
      const detail = (await response.text()).slice(0, 200).replace(/\s+/g, ' ');
      throw new Error(
        `OAuth token endpoint ${credentials.tokenUrl} refused the client credentials: ${response.status} ${detail}`,
      );
    }
    const token = tokenResponse.safeParse(await response.json().catch(() => undefined));
    if (!token.success)
      throw new Error(`OAuth token endpoint ${credentials.tokenUrl} answered without an access_token`);
    const lifetimeMs = (token.data.expires_in ?? 300) * 1_000;
    return { value: token.data.access_token, refreshAt: started + lifetimeMs * 0.8 };
  };
  return async () => {
    if (current && now() < current.refreshAt) return { value: current.value };
    fetching ??= fetchToken().finally(() => {
      fetching = undefined;
    });
    current = await fetching;
    return { value: current.value };
  };
}
