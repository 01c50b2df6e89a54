export { opsRoutes, probeRoutes } from './ops-routes.ts';
export { OpsEndpoint } from './ops-endpoint.ts';
export { type CheckResult, Readiness, type ReadinessCheck, type ReadinessReport } from './readiness.ts';
