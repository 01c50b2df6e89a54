// Two projects: unit tests need nothing running; integration tests talk to the
// real PostgreSQL, Redis, Kafka and schema registry (see test/support/global-setup.ts).
// ESM throughout, so jest runs under --experimental-vm-modules (scripts/test/run.mjs).
// ts-jest transpiles each file on its own (isolatedModules); `make lint` type-checks.
// Specifiers keep their .ts extension here, so jest resolves the sources directly.
const transform = {
  '^.+\\.ts$': [
    'ts-jest',
    {
      useESM: true,
      tsconfig: { rewriteRelativeImportExtensions: false, allowImportingTsExtensions: true, noEmit: true },
    },
  ],
};

const shared = {
  testEnvironment: 'node',
  // .run/ holds the stack's state and tools' scratch copies of the project (package.json and all).
  modulePathIgnorePatterns: ['<rootDir>/.run/', '<rootDir>/dist/'],
  extensionsToTreatAsEsm: ['.ts'],
  transform,
};

export default {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/services/**/*.unit.test.ts', '<rootDir>/test/**/*.unit.test.ts'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/services/**/*.int.test.ts', '<rootDir>/test/**/*.int.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      slowTestThreshold: 30,
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-timeout.ts'],
    },
  ],
};
