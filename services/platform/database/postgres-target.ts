import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';

/** Where to connect, and how: the URL without its TLS parameters, and the TLS options they ask for. */
export interface PostgresTarget {
  readonly connectionString: string;
  /** false: plaintext. */
  readonly ssl: ConnectionOptions | false;
}

const TLS_PARAMETERS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey'] as const;

function readFile(parameter: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(
      `cannot read ${parameter} ${path} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
  }
}

/**
 * Reads libpq's TLS parameters from a postgres:// URL, the way managed
 * PostgreSQL (RDS, Cloud SQL, Azure) documents them, and turns them into the
 * TLS options node-postgres takes: sslmode disable (the default), require
 * (encrypted, server unverified), verify-ca (its certificate chains to
 * sslrootcert) or verify-full (and names the host connected to); sslrootcert
 * (a CA file, or "system" for the system's CAs), sslcert and sslkey (mutual
 * TLS). Done here because slonik's URL parser knows neither verify-ca nor
 * verify-full, and node-postgres's ignores the modes' differences. libpq's
 * allow and prefer (TLS if the server offers it) are refused: a fallback to
 * plaintext is what verify-full exists to rule out. Throws an Error whose
 * message names the offending parameter, never the URL (it holds a password).
 */
export function postgresTarget(url: string): PostgresTarget {
  const parsed = new URL(url);
  const parameter = (name: (typeof TLS_PARAMETERS)[number]) => parsed.searchParams.get(name) ?? undefined;
  const mode = parameter('sslmode') ?? 'disable';
  const [rootCert, cert, key] = [parameter('sslrootcert'), parameter('sslcert'), parameter('sslkey')];
  for (const name of TLS_PARAMETERS) parsed.searchParams.delete(name);
  const connectionString = parsed.toString();

  if (!['disable', 'require', 'verify-ca', 'verify-full'].includes(mode))
    throw new Error(`sslmode=${mode} is not supported: use disable, require, verify-ca or verify-full`);
  if (mode === 'disable') {
    if (rootCert || cert || key)
      throw new Error('sslrootcert, sslcert and sslkey need an sslmode other than disable');
    return { connectionString, ssl: false };
  }
  if ((cert === undefined) !== (key === undefined)) throw new Error('sslcert and sslkey go together');
  const verify = mode === 'verify-ca' || mode === 'verify-full';
  if (verify && rootCert === undefined)
    throw new Error(`sslmode=${mode} needs sslrootcert (a CA file, or "system" for the system's CAs)`);
  const ssl: ConnectionOptions = {
    rejectUnauthorized: verify,
    ...(rootCert && rootCert !== 'system' ? { ca: readFile('sslrootcert', rootCert) } : {}),
    ...(cert && key ? { cert: readFile('sslcert', cert), key: readFile('sslkey', key) } : {}),
    // verify-ca checks the chain only; verify-full also the host name (Node's default check).
    ...(mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
  };
  return { connectionString, ssl };
}
