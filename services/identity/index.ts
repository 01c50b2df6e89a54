export { AdminToken } from './admin-token.ts';
export { ApiKeys, type ApiKeySummary, type IssuedApiKey } from './api-keys.ts';
export {
  type ConsoleSession,
  ConsoleSessions,
  type ConsoleSessionOptions,
  isSessionCsrfToken,
  type SessionHolder,
} from './console-sessions.ts';
export { type JwtOptions, JwtVerifier } from './jwt.ts';
export { hasRole, type Principal, type TenantRole, tenantRoles } from './principal.ts';
export { type TenantPage, type TenantRecord, TenantDirectory } from './tenant-directory.ts';
