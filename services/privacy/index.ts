export {
  type KeyEncryption,
  keyEncryptionFrom,
  LocalKeyEncryption,
  personalDataEnv,
} from './key-encryption.ts';
export { DEFAULT_REWRAP_BATCH, rewrapDataKeys, type RewrapReport } from './key-rotation.ts';
export { type OpenedData, PersonalData, UnreadableSealedValueError } from './personal-data.ts';
export { holdsSealed, open, parseSealed, seal, sealedPrefix, type SealedValue } from './sealed-value.ts';
export { type DataKey, destroySubjectKeys, type SubjectKeyring, SubjectKeys } from './subject-keys.ts';
