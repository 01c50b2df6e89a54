import { z } from 'zod';
import { loadConfig } from '../platform/config/index.ts';

/**
 * Where the CLI's API commands reach the gateway, and as whom: the platform
 * admin's token, a tenant admin's JWT, or a tenant admin's API key (`el_…`,
 * sent as X-API-Key). EVENTLINE_API_TOKEN_FILE reads it from a file, e.g.
 * `.run/admin-token` on the local stack.
 */
export const gatewayClientEnv = {
  EVENTLINE_API_URL: z
    .string()
    .default('http://127.0.0.1:3000')
    .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
      message: 'expected a URL starting with http:// or https://',
    }),
  EVENTLINE_API_TOKEN: z.string().min(1),
} as const;

/** The gateway's problem+json (RFC 9457), as much of it as a one-line message needs. */
const problemBody = z.object({
  title: z.string().optional(),
  detail: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** A streamed answer ended before the gateway finished it: the connection was lost or cut. */
export class GatewayStreamCutError extends Error {
  override readonly name = 'GatewayStreamCutError';
}

/** The gateway refused or failed a call: its status and problem, in one line. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  constructor(
    readonly status: number,
    readonly problem: z.infer<typeof problemBody>,
  ) {
    const fields = (problem.errors ?? []).map((issue) => `${issue.path}: ${issue.message}`).join('; ');
    super(
      `the gateway answered ${status}${problem.title ? ` ${problem.title}` : ''}` +
        `${problem.detail ? `: ${problem.detail}` : ''}${fields ? ` (${fields})` : ''}`,
    );
  }
}

type Query = Readonly<Record<string, string | undefined>>;

/**
 * The gateway's HTTP API as the CLI calls it: one place that knows the base
 * URL, how the credential is sent, and how a refusal becomes a one-line error.
 */
export class GatewayClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  /** From EVENTLINE_API_URL and EVENTLINE_API_TOKEN (or _FILE); a missing or bad one is a ConfigError naming it. */
  static fromEnvironment(source: NodeJS.ProcessEnv = process.env): GatewayClient {
    const config = loadConfig(gatewayClientEnv, source);
    return new GatewayClient(config.EVENTLINE_API_URL, config.EVENTLINE_API_TOKEN);
  }

  /** A path under /api/v1 from its segments, each percent-encoded: `apiPath('tenants', id, 'export')`. */
  static apiPath(...segments: readonly string[]): string {
    return `/api/v1/${segments.map(encodeURIComponent).join('/')}`;
  }

  /** A call answered with JSON (or nothing, 204): its body, or GatewayError. */
  async json(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    options: { readonly body?: unknown; readonly query?: Query } = {},
  ): Promise<unknown> {
    const response = await this.send(method, path, options.query, options.body);
    const text = await response.text();
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }

  /**
   * A streamed NDJSON answer, each line as it arrives (without its newline).
   * The next chunk is read only when the caller asks for the next line, so a
   * slow consumer slows the gateway down rather than filling memory. A last
   * line without its newline is not handed out; a connection lost midway
   * ends the lines with GatewayStreamCutError.
   */
  async *lines(path: string, options: { readonly query?: Query } = {}): AsyncGenerator<string> {
    const response = await this.send('GET', path, options.query);
    if (!response.body) return;
    const chunks = response.body.pipeThrough(new TextDecoderStream())[Symbol.asyncIterator]();
    let pending = '';
    try {
      for (;;) {
        let chunk: IteratorResult<string>;
        try {
          chunk = await chunks.next();
        } catch (error) {
          throw new GatewayStreamCutError(`the gateway's answer was cut short: ${(error as Error).message}`, {
            cause: error,
          });
        }
        if (chunk.done) return;
        pending += chunk.value;
        let start = 0;
        for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n', start)) {
          yield pending.slice(start, newline);
          start = newline + 1;
        }
        pending = pending.slice(start);
      }
    } finally {
      // A caller that stops early lets the answer go rather than keep its connection.
      await chunks.return?.();
    }
  }

  private async send(method: string, path: string, query: Query = {}, body?: unknown): Promise<Response> {
    const url = new URL(path, this.baseUrl);
    for (const [name, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(name, value);
    const headers: Record<string, string> = this.token.startsWith('el_')
      ? { 'x-api-key': this.token }
      : { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(
        `cannot reach the gateway at ${url.origin}: ${cause?.code ?? cause?.message ?? String(error)}`,
      );
    }
    if (response.ok) return response;
    const text = await response.text();
    let problem: z.infer<typeof problemBody> = {};
    try {
      problem = problemBody.parse(JSON.parse(text));
    } catch {
      problem = { detail: text.slice(0, 200).replace(/\s+/g, ' ') };
    }
    throw new GatewayError(response.status, problem);
  }
}
