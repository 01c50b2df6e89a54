import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { z } from 'zod';

/** A PEM file's path and what it holds, read once at start-up. */
export interface PemFile {
  readonly path: string;
  readonly pem: string;
}

/**
 * A variable naming a PEM file: certificates (a CA bundle, a client
 * certificate) or a private key. It is read and checked when the configuration
 * loads, so a path that cannot be read, or a file that holds no such PEM, stops
 * the process naming the variable rather than failing the first connection.
 */
export function pemFile(holds: 'certificate' | 'private key') {
  return z.string().transform((path, context): PemFile => {
    let pem: string;
    try {
      pem = readFileSync(path, 'utf8');
    } catch (error) {
      context.issues.push({
        code: 'custom',
        input: path,
        message: `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
      });
      return z.NEVER;
    }
    const marker =
      holds === 'certificate' ? /-----BEGIN CERTIFICATE-----/ : /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
    let valid = marker.test(pem);
    if (valid && holds === 'certificate') {
      try {
        new X509Certificate(pem);
      } catch {
        valid = false;
      }
    }
    if (!valid) {
      context.issues.push({ code: 'custom', input: path, message: `${path} holds no PEM ${holds}` });
      return z.NEVER;
    }
    return { path, pem };
  });
}
