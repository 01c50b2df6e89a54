export { exportBreakerState, type GuardedDependency } from './breaker-states.ts';
export { isConnectionOutage } from './connection-outage.ts';
export { guardDependency } from './dependency-guard.ts';
export { failureReason } from './failure-reason.ts';
