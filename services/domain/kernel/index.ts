export {
  type CommandDefinition,
  type CommandTarget,
  type Decider,
  type DomainCommand,
  type DomainEvent,
  type EventDefinition,
  isRejection,
  type Rejection,
  reject,
  replay,
} from './decider.ts';
export { expecting } from './messages.ts';
