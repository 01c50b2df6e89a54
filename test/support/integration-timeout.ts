import { jest } from '@jest/globals';

// Group rebalances and broker round trips take seconds; every wait inside a test has its own deadline.
jest.setTimeout(60_000);
