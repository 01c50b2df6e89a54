export { type EventSchema, EventSchemas } from './event-schemas.ts';
