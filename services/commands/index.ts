export { type LoadedAggregate, loadAggregate } from './aggregate-loader.ts';
export type { CommandEnvelope, CommandOutcome } from './command.ts';
export { CommandHandler, type CommandHandlerOptions } from './command-handler.ts';
export { aggregateStateAt } from './history.ts';
