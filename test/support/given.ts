import {
  type Decider,
  type DomainCommand,
  type DomainEvent,
  isRejection,
  type Rejection,
  replay,
} from '../../services/domain/kernel/index.ts';

/**
 * Given / when / then for deciders, with no database:
 *   given(decider, [past events]).when(command).then([expected events])
 *   given(decider, [past events]).when(command).thenRejects('code')
 */
export function given<Command extends DomainCommand, Event extends DomainEvent, State>(
  decider: Decider<Command, Event, State>,
  history: readonly Event[] = [],
) {
  const state = replay(decider, decider.initialState, history);
  return {
    state,
    when(command: Command) {
      const outcome = decider.decide(command, state);
      return {
        outcome,
        then(expected: readonly Event[]): void {
          if (isRejection(outcome)) {
            throw new Error(
              `expected events, but the command was rejected: ${outcome.code}: ${outcome.message}`,
            );
          }
          expect(outcome).toEqual(expected);
        },
        thenRejects(code: string): Rejection {
          if (!isRejection(outcome)) {
            throw new Error(
              `expected a rejection "${code}", but the command produced ${JSON.stringify(outcome)}`,
            );
          }
          expect(outcome.code).toBe(code);
          return outcome;
        },
      };
    },
  };
}
