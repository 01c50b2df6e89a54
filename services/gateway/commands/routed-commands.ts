/**
 * Commands with a route of their own, because more than their events commits
 * with them (a new tenant's first key; the data keys a forget or an offboarding
 * destroys): /commands/execute refuses them and names the route.
 */
export const routedCommands: Readonly<Record<string, string>> = {
  CreateTenant: 'POST /api/v1/tenants',
  ForgetSubject: 'POST /api/v1/tenants/{tenantId}/subjects/{subject}/forget',
  OffboardTenant: 'POST /api/v1/tenants/{tenantId}/offboard',
};
