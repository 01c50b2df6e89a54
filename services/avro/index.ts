export { type EventSchema, EventSchemas } from './event-schemas.ts';
export { projectRoot } from './project-root.ts';
