export { type EventSchema, EventSchemas } from './event-schemas.ts';
export {
  type PersonalField,
  personalDataBreaks,
  personalFields,
  PII_TAG,
  type SubjectOf,
} from './personal-fields.ts';
