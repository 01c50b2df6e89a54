export { opsRoutes, probeRoutes } from './ops-routes.ts';
export { serveOps } from './serve-ops.ts';
export { type CheckResult, Readiness, type ReadinessCheck, type ReadinessReport } from './readiness.ts';
