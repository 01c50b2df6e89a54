export {
  type KeyEncryption,
  keyEncryptionFrom,
  LocalKeyEncryption,
  personalDataEnv,
} from './key-encryption.ts';
export { DEFAULT_REWRAP_BATCH, rewrapDataKeys, type RewrapReport } from './key-rotation.ts';
export {
  type OpenedData,
  PersonalData,
  type SealedData,
  UnreadableSealedValueError,
} from './personal-data.ts';
export { holdsSealed, open, parseSealed, seal, sealedPrefix, type SealedValue } from './sealed-value.ts';
export {
  destroySubjectKeys,
  keepKeys,
  type SealingKey,
  type SubjectKeyring,
  SubjectKeys,
} from './subject-keys.ts';
export { type KeyRecovery, readTenantKeys, restoreTenantKeys } from './recovered-keys.ts';
