export {
  CommandRejectedError,
  ConcurrencyError,
  DependencyUnavailableError,
  type ErrorKind,
  EventlineError,
  type FieldIssue,
  NotFoundError,
  UnknownEventError,
  ValidationError,
} from './errors.ts';
