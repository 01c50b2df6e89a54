import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../platform/config/index.ts';

/**
 * What wraps the subjects' data keys before they are stored: a key-encryption
 * key that never leaves it. This is the seam where a cloud KMS (AWS KMS,
 * Google Cloud KMS) or Vault Transit plugs in: wrap and unwrap are their
 * Encrypt and Decrypt calls. A wrapped key names the key-encryption key that
 * wrapped it, so keys wrapped before a rotation still unwrap.
 */
export interface KeyEncryption {
  /** The key-encryption key new wraps use. */
  readonly currentId: string;
  wrap(dataKey: Buffer): Promise<string>;
  unwrap(wrapped: string): Promise<Buffer>;
  /** Whether a wrapped key is already under the current key-encryption key: what a rewrap leaves alone. */
  isCurrent(wrapped: string): boolean;
}

const KEK = /^([A-Za-z0-9_-]{1,32}):([A-Za-z0-9+/_-]{43}=?)$/;

function parseKek(variable: string, text: string): [string, Buffer] {
  const match = KEK.exec(text.trim());
  const key = match ? Buffer.from(match[2] ?? '', 'base64') : undefined;
  if (!match || key?.length !== 32)
    throw new ConfigError(
      variable,
      'expected <id>:<32 random bytes in base64>, e.g. from `openssl rand -base64 32`',
    );
  return [match[1] ?? '', key];
}

export const personalDataEnv = {
  /**
   * The current key-encryption key, `<id>:<base64 of 32 bytes>`; from a file with
   * PERSONAL_DATA_KEK_FILE. Unset, personal data is refused rather than stored.
   */
  PERSONAL_DATA_KEK: z.string().min(1).optional(),
  /** Earlier key-encryption keys, comma-separated, kept until `eventline personal-data rewrap` has run. */
  PERSONAL_DATA_PREVIOUS_KEKS: z.string().optional(),
};

/**
 * Key-encryption keys held by the process, from PERSONAL_DATA_KEK (and the
 * previous ones while a rotation is under way): AES-256-GCM over the data key,
 * the key-encryption key's id as additional data.
 */
export class LocalKeyEncryption implements KeyEncryption {
  readonly currentId: string;
  private readonly keys: ReadonlyMap<string, Buffer>;

  constructor(current: readonly [string, Buffer], previous: readonly (readonly [string, Buffer])[] = []) {
    this.currentId = current[0];
    this.keys = new Map([...previous, current]);
  }

  /** From the environment; unset, a ConfigError: use keyEncryptionFrom where the key is optional. */
  static fromEnvironment(source: NodeJS.ProcessEnv = process.env): LocalKeyEncryption {
    const encryption = keyEncryptionFrom(loadConfig(personalDataEnv, source));
    if (!encryption) throw new ConfigError('PERSONAL_DATA_KEK', 'is required');
    return encryption;
  }

  async wrap(dataKey: Buffer): Promise<string> {
    const kek = this.keys.get(this.currentId) as Buffer;
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', kek, nonce);
    cipher.setAAD(Buffer.from(this.currentId));
    const wrapped = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return [
      'kek1',
      this.currentId,
      nonce.toString('base64url'),
      wrapped.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
    ].join('.');
  }

  async unwrap(text: string): Promise<Buffer> {
    const [format, kekId = '', nonce = '', wrapped = '', tag = ''] = text.split('.');
    const kek = this.keys.get(kekId);
    if (format !== 'kek1' || !kek)
      throw new Error(
        `a data key wrapped by key-encryption key "${kekId}", which this process does not hold`,
      );
    const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(nonce, 'base64url'));
    decipher.setAAD(Buffer.from(kekId));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(wrapped, 'base64url')), decipher.final()]);
  }

  isCurrent(wrapped: string): boolean {
    return wrapped.startsWith(`kek1.${this.currentId}.`);
  }
}

/** The key-encryption keys the settings name, or undefined when PERSONAL_DATA_KEK is unset; a malformed one is a ConfigError. */
export function keyEncryptionFrom(settings: {
  readonly PERSONAL_DATA_KEK?: string | undefined;
  readonly PERSONAL_DATA_PREVIOUS_KEKS?: string | undefined;
}): LocalKeyEncryption | undefined {
  if (settings.PERSONAL_DATA_KEK === undefined) return undefined;
  const previous = (settings.PERSONAL_DATA_PREVIOUS_KEKS ?? '')
    .split(',')
    .filter((each) => each.trim() !== '')
    .map((each) => parseKek('PERSONAL_DATA_PREVIOUS_KEKS', each));
  return new LocalKeyEncryption(parseKek('PERSONAL_DATA_KEK', settings.PERSONAL_DATA_KEK), previous);
}
