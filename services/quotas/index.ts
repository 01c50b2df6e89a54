export { CommandQuota, type CommandQuotaOptions } from './command-quota.ts';
export { DailyEventQuota, type DailyEventQuotaOptions } from './daily-event-quota.ts';
export type { QuotaDecision, QuotaOptions } from './quota-decision.ts';
