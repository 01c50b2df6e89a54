export { type KeyEncryption, LocalKeyEncryption, personalDataEnv } from './key-encryption.ts';
export { type OpenedData, PersonalData, subjectIn } from './personal-data.ts';
export {
  type PersonalField,
  personalDataBreaks,
  personalFields,
  PII_TAG,
  type SubjectOf,
} from './personal-fields.ts';
export { open, parseSealed, seal, type SealedValue } from './sealed-value.ts';
export { type DataKey, type SubjectKeyring, SubjectKeys } from './subject-keys.ts';
