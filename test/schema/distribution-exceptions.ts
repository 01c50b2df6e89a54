/**
 * The keys of tenant tables that leave tenant_id out on purpose, each with the
 * reason and its place once the store is distributed by tenant. The one list:
 * distributable.int.test.ts holds the schema to it, and docs/scaling.md names
 * every entry (the test checks that too).
 */
export interface KeyException {
  /** The unique index or primary key, schema-qualified. */
  readonly index: string;
  readonly reason: string;
}

export const KEY_EXCEPTIONS: readonly KeyException[] = [
  {
    index: 'public.api_keys_pkey',
    reason:
      'authentication finds a key by its id before it knows the tenant; on Citus api_keys is a ' +
      'reference table (small, read on every request, written rarely)',
  },
  {
    index: 'readmodels.dead_letters_pkey',
    reason:
      "the projector's parking lot, keyed by (projection, event id) across tenants; on Citus a " +
      'local table on the coordinator beside the checkpoints it commits with',
  },
];
