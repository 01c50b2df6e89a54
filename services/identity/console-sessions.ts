import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { RedisCircuit } from '../platform/redis/index.ts';

/**
 * Who a console session stands for. A tenant admin's session keeps the key's
 * id, never the key: the principal is read from the key on every request, so
 * revoking the key (or its admin role) ends the session within a second.
 */
export type SessionHolder =
  { readonly kind: 'platform-admin' } | { readonly kind: 'api-key'; readonly keyId: string };

export interface ConsoleSession {
  readonly holder: SessionHolder;
  /** Sent back by the console on every state-changing call (X-CSRF-Token); never in a cookie. */
  readonly csrfToken: string;
  readonly createdAt: number;
}

const storedSession = z.object({
  holder: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('platform-admin') }),
    z.object({ kind: z.literal('api-key'), keyId: z.string() }),
  ]),
  csrfToken: z.string(),
  createdAt: z.number(),
});

/** 256 random bits, base64url: what open() hands out; anything else is not looked up. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export interface ConsoleSessionOptions {
  /** A session unused this long is gone (default 30 minutes). */
  readonly idleMs?: number;
  /** A session is gone this long after login however busy (default 8 hours). */
  readonly lifetimeMs?: number;
  readonly keyPrefix?: string;
  readonly redisTimeoutMs?: number;
  readonly now?: () => number;
}

/**
 * The admin console's sessions, in Redis so that every gateway replica knows
 * them and a logout holds everywhere at once. Redis keeps only a hash of each
 * session id: a copy of Redis opens no session. Expiry is the server's (an idle
 * timeout, sliding, and a fixed lifetime), whatever the browser keeps.
 */
export class ConsoleSessions {
  private readonly circuit: RedisCircuit;
  private readonly idleMs: number;
  private readonly lifetimeMs: number;
  private readonly keyPrefix: string;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    options: ConsoleSessionOptions = {},
  ) {
    this.idleMs = options.idleMs ?? 30 * 60_000;
    this.lifetimeMs = options.lifetimeMs ?? 8 * 3_600_000;
    this.keyPrefix = options.keyPrefix ?? 'eventline:console-session:';
    this.now = options.now ?? Date.now;
    // Sessions are read once per page, not per command: a slower deadline than the quotas' is fine.
    this.circuit = new RedisCircuit({ timeoutMs: options.redisTimeoutMs ?? 1_000, backoffMs: 1_000 });
  }

  /** A new session for the holder: its id (the cookie's value) and its CSRF token. */
  async open(
    holder: SessionHolder,
  ): Promise<{ readonly sessionId: string; readonly session: ConsoleSession }> {
    const sessionId = randomBytes(32).toString('base64url');
    const session: ConsoleSession = {
      holder,
      csrfToken: randomBytes(32).toString('base64url'),
      createdAt: this.now(),
    };
    await this.circuit.run(() =>
      this.redis.set(this.keyOf(sessionId), JSON.stringify(session), 'PX', this.idleMs),
    );
    return { sessionId, session };
  }

  /** The live session with this id, its idle timeout restarted; undefined when unknown, idle too long or too old. */
  async find(sessionId: string): Promise<ConsoleSession | undefined> {
    if (!SESSION_ID.test(sessionId)) return undefined;
    const stored = await this.circuit.run(() => this.redis.getex(this.keyOf(sessionId), 'PX', this.idleMs));
    if (stored === null) return undefined;
    const parsed = storedSession.safeParse(JSON.parse(stored));
    if (!parsed.success) return undefined;
    if (this.now() - parsed.data.createdAt > this.lifetimeMs) {
      await this.close(sessionId);
      return undefined;
    }
    return parsed.data;
  }

  async close(sessionId: string): Promise<void> {
    if (!SESSION_ID.test(sessionId)) return;
    await this.circuit.run(() => this.redis.del(this.keyOf(sessionId)));
  }

  private keyOf(sessionId: string): string {
    return `${this.keyPrefix}${createHash('sha256').update(sessionId).digest('hex')}`;
  }
}

/** Whether a token sent with a request is the session's CSRF token, compared in constant time. */
export function isSessionCsrfToken(session: ConsoleSession, sent: string | undefined): boolean {
  if (sent === undefined) return false;
  const expected = createHash('sha256').update(session.csrfToken).digest();
  return timingSafeEqual(createHash('sha256').update(sent).digest(), expected);
}
