import type { PersonalData } from '../../privacy/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';

/**
 * An answer with its sealed personal data opened for its tenant, the one place
 * the API opens it (docs/privacy.md): values whose subject was forgotten read
 * null and are listed, as JSON pointers, under `erased`. Without a key (no
 * PERSONAL_DATA_KEK) nothing was sealed, so there is nothing to open.
 */
export async function withPersonalData(
  personalData: PersonalData | undefined,
  tenant: TenantId,
  answer: object,
): Promise<Record<string, unknown>> {
  if (!personalData) return { ...answer };
  const { data, erased } = await personalData.open(tenant, answer);
  return erased.length > 0
    ? { ...(data as Record<string, unknown>), erased }
    : (data as Record<string, unknown>);
}
