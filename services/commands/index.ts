export { type LoadedAggregate, loadAggregate } from './aggregate-loader.ts';
export type { CommandEnvelope, CommandOutcome, EventAdmission } from './command.ts';
export { CommandHandler, type CommandHandlerOptions } from './command-handler.ts';
export { aggregateStateAt } from './history.ts';
