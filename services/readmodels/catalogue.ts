import { customerOrderStatsProjection } from './customer-order-stats/index.ts';
import { ordersProjection } from './orders/index.ts';
import type { Projection } from './projection.ts';
import { tenantStatsProjection } from './tenant-stats/index.ts';
import { tenantsProjection } from './tenants/index.ts';

/** Every projection Eventline ships. Adding one: its folder, its tables (a migration), an entry here and in topology/. */
export const projections: readonly Projection[] = [
  ordersProjection,
  customerOrderStatsProjection,
  tenantStatsProjection,
  tenantsProjection,
];

export function projectionNamed(name: string, among: readonly Projection[] = projections): Projection {
  const projection = among.find((candidate) => candidate.name === name);
  if (!projection) {
    throw new Error(`no projection "${name}"; there are ${among.map((known) => known.name).join(', ')}`);
  }
  return projection;
}
