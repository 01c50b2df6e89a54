import { BatchRounds } from './batch-rounds.ts';

/** A round applier whose rounds finish only when the test says so. */
function heldRounds() {
  const rounds: string[][] = [];
  const finishers: Array<() => void> = [];
  const applier = new BatchRounds<string, string>(async (batches) => {
    rounds.push([...batches]);
    await new Promise<void>((resolve) => finishers.push(resolve));
    return batches.map((batch) => `applied ${batch}`);
  });
  const roundStarted = async (count: number) => {
    for (let turn = 0; rounds.length < count; turn++) {
      if (turn > 100) throw new Error(`round ${count} never started`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { applier, rounds, finish: (round: number) => finishers[round]?.(), roundStarted };
}

test('batches handed over in the same turn go in one round', async () => {
  const { applier, rounds, finish, roundStarted } = heldRounds();
  const outcomes = [applier.submit('p0'), applier.submit('p1'), applier.submit('p2')];
  await roundStarted(1);
  finish(0);
  await expect(Promise.all(outcomes)).resolves.toEqual(['applied p0', 'applied p1', 'applied p2']);
  expect(rounds).toEqual([['p0', 'p1', 'p2']]);
});

test('a batch handed over while a round runs waits for it, then goes with the others that came meanwhile', async () => {
  const { applier, rounds, finish, roundStarted } = heldRounds();
  const first = applier.submit('p0');
  await roundStarted(1);
  const later = [applier.submit('p1'), applier.submit('p2')];
  await new Promise((resolve) => setImmediate(resolve));
  expect(rounds).toEqual([['p0']]);
  finish(0);
  await expect(first).resolves.toBe('applied p0');
  await roundStarted(2);
  expect(rounds).toEqual([['p0'], ['p1', 'p2']]);
  finish(1);
  await expect(Promise.all(later)).resolves.toEqual(['applied p1', 'applied p2']);
});

test('a round that fails fails each of its batches, and the next round runs regardless', async () => {
  let calls = 0;
  const applier = new BatchRounds<string, string>(async (batches) => {
    calls++;
    if (calls === 1) throw new Error('PostgreSQL is away');
    return batches.map((batch) => `applied ${batch}`);
  });
  const failed = [applier.submit('p0'), applier.submit('p1')];
  await expect(
    Promise.all(failed.map((outcome) => outcome.catch((error: Error) => error.message))),
  ).resolves.toEqual(['PostgreSQL is away', 'PostgreSQL is away']);
  await expect(applier.submit('p0')).resolves.toBe('applied p0');
});

test('a round answering fewer outcomes than batches fails the ones left without', async () => {
  const applier = new BatchRounds<string, string>(async (batches) => batches.slice(1));
  const outcomes = [applier.submit('p0'), applier.submit('p1')];
  await expect(outcomes[0]).resolves.toBe('p1');
  await expect(outcomes[1]).rejects.toThrow('fewer outcomes');
});

test('a second round starts beside the first only once the batches waiting weigh enough; a third waits', async () => {
  const rounds: string[][] = [];
  const finishers: Array<() => void> = [];
  const applier = new BatchRounds<string, string>(
    async (batches) => {
      rounds.push([...batches]);
      await new Promise<void>((resolve) => finishers.push(resolve));
      return batches.map((batch) => `applied ${batch}`);
    },
    { most: 2, weight: (batch) => Number(batch.split(':')[1]), busyAt: 100 },
  );
  const turns = async (count: number) => {
    for (let turn = 0; turn < count; turn++) await new Promise((resolve) => setImmediate(resolve));
  };
  const outcomes = [applier.submit('p0:5')];
  await turns(2);
  outcomes.push(applier.submit('p1:5'));
  await turns(2);
  expect(rounds).toEqual([['p0:5']]);
  outcomes.push(applier.submit('p2:400'));
  await turns(2);
  expect(rounds).toEqual([['p0:5'], ['p1:5', 'p2:400']]);
  outcomes.push(applier.submit('p3:400'), applier.submit('p4:400'));
  await turns(2);
  expect(rounds).toEqual([['p0:5'], ['p1:5', 'p2:400']]);
  finishers[0]?.();
  await turns(2);
  expect(rounds).toEqual([['p0:5'], ['p1:5', 'p2:400'], ['p3:400', 'p4:400']]);
  finishers[1]?.();
  finishers[2]?.();
  await expect(Promise.all(outcomes)).resolves.toEqual([
    'applied p0:5',
    'applied p1:5',
    'applied p2:400',
    'applied p3:400',
    'applied p4:400',
  ]);
});
