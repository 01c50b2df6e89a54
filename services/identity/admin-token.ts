import { createHash, timingSafeEqual } from 'node:crypto';

/** The platform administrator's bearer token, compared in constant time. */
export class AdminToken {
  private readonly digest: Buffer | undefined;

  /** Without a token the platform administration API refuses everyone. */
  constructor(token: string | undefined) {
    this.digest = token ? createHash('sha256').update(token).digest() : undefined;
  }

  matches(candidate: string): boolean {
    if (!this.digest) return false;
    return timingSafeEqual(createHash('sha256').update(candidate).digest(), this.digest);
  }
}
