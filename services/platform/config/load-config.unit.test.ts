import { z } from 'zod';
import { ConfigError, env, loadConfig } from './index.ts';

const shape = {
  PORT: env.PORT,
  KAFKA_BROKERS: env.KAFKA_BROKERS,
  DATABASE_URL: env.DATABASE_URL,
  SCHEMA_REGISTRY_URL: env.SCHEMA_REGISTRY_URL,
};

describe('loadConfig', () => {
  test('given an empty environment, it yields the contract defaults', () => {
    expect(loadConfig(shape, {})).toEqual({
      PORT: 3000,
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      DATABASE_URL: 'postgres://127.0.0.1:5432/eventline',
      SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
    });
  });

  test('given values, it parses them into their types', () => {
    const config = loadConfig(shape, { PORT: '8080', KAFKA_BROKERS: 'a:9092, b:9093' });
    expect(config.PORT).toBe(8080);
    expect(config.KAFKA_BROKERS).toEqual(['a:9092', 'b:9093']);
  });

  test.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ KAFKA_BROKERS: 'localhost' }, 'KAFKA_BROKERS'],
    [{ DATABASE_URL: 'mysql://db/eventline' }, 'DATABASE_URL'],
    [{ SCHEMA_REGISTRY_URL: 'not a url' }, 'SCHEMA_REGISTRY_URL'],
  ])('given %p, it fails naming %s in one line', (source, variable) => {
    expect(() => loadConfig(shape, source)).toThrow(ConfigError);
    try {
      loadConfig(shape, source);
    } catch (error) {
      expect((error as ConfigError).variable).toBe(variable);
      expect((error as ConfigError).message).toMatch(new RegExp(`^invalid configuration: ${variable}: `));
      expect((error as ConfigError).message).not.toContain('\n');
    }
  });

  test('a required variable without a default is reported as required', () => {
    expect(() => loadConfig({ JWT_SECRET: z.string().min(32) }, {})).toThrow(
      'invalid configuration: JWT_SECRET: is required',
    );
  });

  test('a set value a coercion refuses is reported as of the wrong type, not as missing, and not echoed', () => {
    expect(() =>
      loadConfig(
        { SCHEMA_REGISTRY_TIMEOUT_MS: env.SCHEMA_REGISTRY_TIMEOUT_MS },
        {
          SCHEMA_REGISTRY_TIMEOUT_MS: 'abc',
        },
      ),
    ).toThrow(/^invalid configuration: SCHEMA_REGISTRY_TIMEOUT_MS: must be a number$/);
  });

  test('an empty string counts as unset', () => {
    expect(loadConfig(shape, { PORT: '' }).PORT).toBe(3000);
  });
});
