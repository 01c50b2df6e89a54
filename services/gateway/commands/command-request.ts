import { z } from 'zod';

/** The body of POST /api/v1/commands/execute (CONTRACTS §4); the payload is checked by its command's schema. */
export const commandRequest = z
  .object({
    type: z.string({ required_error: 'is required', invalid_type_error: 'must be a string' }).min(1).max(100),
    aggregateId: z.string({ invalid_type_error: 'must be a string' }).optional(),
    expectedVersion: z
      .number({ invalid_type_error: 'must be a number' })
      .int('must be a whole number')
      .min(0, 'must be at least 0')
      .max(2_147_483_647, 'is too large')
      .optional(),
    payload: z.record(z.unknown(), { invalid_type_error: 'must be an object' }).default({}),
  })
  .strict();

export type CommandRequest = z.infer<typeof commandRequest>;
