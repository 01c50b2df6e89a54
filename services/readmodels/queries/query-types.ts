import { z } from 'zod';

const orderStatuses = ['placed', 'shipped', 'delivered', 'cancelled'] as const;

/** The params of each query type (docs/contracts.md §5), validated before any read. */
export const queryParams = {
  GetOrder: z.object({ orderId: z.guid('must be an order id (a UUID)') }).strict(),
  ListOrders: z
    .object({
      status: z.enum(orderStatuses).optional(),
      customerId: z.string().min(1).max(128).optional(),
      limit: z.number().int().min(1).max(100).default(20),
      cursor: z.string().min(1).max(200).optional(),
    })
    .strict(),
  GetTenantStats: z.object({}).strict(),
  GetTenant: z.object({}).strict(),
} as const;

export type QueryType = keyof typeof queryParams;

export const queryTypes = Object.keys(queryParams) as QueryType[];

/** The projection whose watermark a query type's read-your-writes waits for. */
export const projectionOf: Readonly<Record<QueryType, string>> = {
  GetOrder: 'orders',
  ListOrders: 'orders',
  GetTenantStats: 'tenant_stats',
  GetTenant: 'tenants',
};

export const queryRequest = z.strictObject({
  type: z.enum(queryTypes, { error: () => `expected one of ${queryTypes.join(', ')}` }),
  params: z.record(z.string(), z.unknown()).default({}),
});
