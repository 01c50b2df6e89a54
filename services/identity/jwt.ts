import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { z } from 'zod';
import { tenantId } from '../platform/tenancy/index.ts';
import { type Principal, tenantRoles } from './principal.ts';

export interface JwtOptions {
  /** HS256 shared secret (development). */
  readonly secret?: string;
  /** A JWKS URL whose keys sign the tokens (production). */
  readonly jwksUrl?: string;
  readonly issuer?: string;
  readonly audience?: string;
}

const claims = z.object({
  tenant_id: z.guid(),
  sub: z.string().min(1),
  roles: z.array(z.enum(tenantRoles)).min(1),
});

/** Verifies bearer JWTs (signature, exp, nbf, iss, aud) and reads the tenant principal from their claims. */
export class JwtVerifier {
  private readonly key: Uint8Array | JWTVerifyGetKey | undefined;

  constructor(private readonly options: JwtOptions) {
    this.key = options.jwksUrl
      ? createRemoteJWKSet(new URL(options.jwksUrl))
      : options.secret
        ? new TextEncoder().encode(options.secret)
        : undefined;
  }

  get enabled(): boolean {
    return this.key !== undefined;
  }

  /** The principal, or undefined for any token that fails verification or lacks the claims. */
  async verify(token: string): Promise<Principal | undefined> {
    if (!this.key) return undefined;
    try {
      const verifyOptions = {
        algorithms: this.options.jwksUrl ? ['RS256', 'ES256', 'EdDSA'] : ['HS256'],
        ...(this.options.issuer ? { issuer: this.options.issuer } : {}),
        ...(this.options.audience ? { audience: this.options.audience } : {}),
      };
      const { payload } =
        typeof this.key === 'function'
          ? await jwtVerify(token, this.key, verifyOptions)
          : await jwtVerify(token, this.key, verifyOptions);
      const parsed = claims.safeParse(payload);
      if (!parsed.success) return undefined;
      return {
        kind: 'tenant',
        tenant: tenantId(parsed.data.tenant_id),
        subject: parsed.data.sub,
        roles: parsed.data.roles,
        via: 'jwt',
      };
    } catch {
      return undefined;
    }
  }
}
