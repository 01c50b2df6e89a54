export { customerOrderStatsProjection } from './customer-order-stats-projection.ts';
