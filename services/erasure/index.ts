export type { ErasureDeps, ErasureRequest, TopicRetention } from './erasure-deps.ts';
export { type ForgetReport, forgetSubject } from './forget-subject.ts';
export { type OffboardReport, offboardTenant } from './offboard-tenant.ts';
