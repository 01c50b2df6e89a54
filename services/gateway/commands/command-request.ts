import { z } from 'zod';
import { expecting } from '../../domain/kernel/index.ts';

/** The body of POST /api/v1/commands/execute (docs/contracts.md §4); the payload is checked by its command's schema. */
export const commandRequest = z.strictObject({
  type: z.string(expecting('a string')).min(1).max(100),
  aggregateId: z.string(expecting('a string')).optional(),
  expectedVersion: z
    .number(expecting('a number'))
    .int('must be a whole number')
    .min(0, 'must be at least 0')
    .max(2_147_483_647, 'is too large')
    .optional(),
  payload: z.record(z.string(), z.unknown(), expecting('an object')).default({}),
});

export type CommandRequest = z.infer<typeof commandRequest>;
