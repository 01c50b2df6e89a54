import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * The format of a personal-data value as it is stored and published, inside
 * the same Avro string field: `elpd1.<key id>.<nonce>.<ciphertext>.<tag>`, the
 * parts base64url, AES-256-GCM (node:crypto) with a 96-bit random nonce and a
 * 128-bit tag. The additional data binds it to its tenant and subject, so a
 * value copied into another tenant's or person's record does not open.
 * Versioned by its prefix: a later format gets another.
 */
const PREFIX = 'elpd1';
const NONCE_BYTES = 12;

export interface SealedValue {
  readonly keyId: string;
  readonly nonce: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

function additionalData(tenant: string, subject: string): Buffer {
  return Buffer.from(`${tenant}\u0000${subject}`, 'utf8');
}

export function seal(key: Buffer, keyId: string, plaintext: string, tenant: string, subject: string): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(additionalData(tenant, subject));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [
    PREFIX,
    keyId,
    nonce.toString('base64url'),
    ciphertext.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
  ].join('.');
}

/**
 * How every value sealed with the key begins: a search for this text finds
 * them in any JSON (an event's data, a read-model row), sealed or not
 * readable any more, without opening one.
 */
export function sealedPrefix(keyId: string): string {
  return `${PREFIX}.${keyId}.`;
}

/**
 * Whether a JSON value holds a sealed value anywhere: a walk that builds
 * nothing, so what holds none (most events) skips opening, which copies.
 */
export function holdsSealed(value: unknown): boolean {
  if (typeof value === 'string') return value.startsWith(`${PREFIX}.`);
  if (typeof value !== 'object' || value === null) return false;
  for (const each of Array.isArray(value) ? value : Object.values(value)) if (holdsSealed(each)) return true;
  return false;
}

/** The parts of a sealed value, or undefined for anything else (plaintext stored before sealing existed). */
export function parseSealed(value: unknown): SealedValue | undefined {
  if (typeof value !== 'string' || !value.startsWith(`${PREFIX}.`)) return undefined;
  const [, keyId, nonce, ciphertext, tag, ...rest] = value.split('.');
  if (!keyId || nonce === undefined || ciphertext === undefined || !tag || rest.length > 0) return undefined;
  return {
    keyId,
    nonce: Buffer.from(nonce, 'base64url'),
    ciphertext: Buffer.from(ciphertext, 'base64url'),
    tag: Buffer.from(tag, 'base64url'),
  };
}

/** The plaintext; throws when the key, tenant or subject is not the one it was sealed with, or it was altered. */
export function open(key: Buffer, sealed: SealedValue, tenant: string, subject: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.nonce);
  decipher.setAAD(additionalData(tenant, subject));
  decipher.setAuthTag(sealed.tag);
  return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
}
