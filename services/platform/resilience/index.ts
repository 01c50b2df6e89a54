export { exportBreakerState, type GuardedDependency } from './breaker-states.ts';
export { DeadlineMissed, withinDeadline } from './deadline.ts';
export { guardDependency } from './dependency-guard.ts';
export { failureReason } from './failure-reason.ts';
export { isConnectionOutage, isOutage, type Outage, outageOf } from './outage.ts';
