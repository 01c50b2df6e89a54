import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { projectRoot } from '../../services/platform/paths/index.ts';

function stackEnv(): Record<string, string> {
  const file = join(projectRoot(), '.run', 'stack.env');
  if (!existsSync(file)) return {};
  const entries = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_][A-Z0-9_]*=/.test(line))
    .map((line) => {
      const at = line.indexOf('=');
      return [line.slice(0, at), line.slice(at + 1)] as const;
    });
  return Object.fromEntries(entries);
}

/** A setting of the stack: the environment, else what `make up` wrote to .run/stack.env. */
export function stackSetting(name: string): string {
  const value = process.env[name] || stackEnv()[name];
  if (!value) throw new Error(`${name} is not set and .run/stack.env does not name it: run \`make up\``);
  return value;
}

/**
 * What a relay or projector process is given to reach the stack's Kafka over
 * SASL_SSL with SCRAM-SHA-512 (scripts/stack's secured listener), for the
 * scenarios that measure what TLS and SASL cost beside plaintext.
 */
export function saslSslKafkaEnv(): Record<string, string> {
  return {
    KAFKA_BROKERS: stackSetting('SECURE_KAFKA_SASL_SSL_BROKERS'),
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SSL_CA_FILE: stackSetting('SECURE_TLS_CA_FILE'),
    KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
    KAFKA_SASL_USERNAME: stackSetting('SECURE_KAFKA_SCRAM_USERNAME'),
    KAFKA_SASL_PASSWORD: stackSetting('SECURE_KAFKA_SCRAM_PASSWORD'),
  };
}

/** A port nothing listens on right now, for a service process the scenario starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
