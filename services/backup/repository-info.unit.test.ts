import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../platform/paths/index.ts';
import { RepositoryUnreadable, repositoryState } from './repository-info.ts';

// `pgbackrest info --output=json` as pgBackRest 2.45 printed it for scripts/backup's
// repository after `backup.sh full` and `backup.sh incr`.
const captured = readFileSync(join(projectRoot(), 'test/fixtures/pgbackrest/info.json'), 'utf8');

type Info = [{ backup: Record<string, unknown>[]; status: { code: number; message: string } }];

function edited(edit: (info: Info) => void): string {
  const info = JSON.parse(captured) as Info;
  edit(info);
  return JSON.stringify(info);
}

test('the newest completed backup of each type, with its times and sizes, and the newest archived segment', () => {
  const state = repositoryState(captured, 'eventline');
  expect(Object.fromEntries(state.newest)).toEqual({
    full: {
      type: 'full',
      startedAt: 1796155785,
      completedAt: 1796155789,
      databaseBytes: 30464224,
      repositoryBytes: 4053305,
    },
    incr: {
      type: 'incr',
      startedAt: 1796155790,
      completedAt: 1796155791,
      databaseBytes: 30464224,
      repositoryBytes: 691,
    },
  });
  expect(state.newestSegment).toEqual({ archiveId: '15-1', segment: '000000010000000000000006' });
});

test('a backup that ended in error is not the newest of its type', () => {
  const failed = edited((info) => {
    const incr = info[0].backup[1] ?? {};
    info[0].backup.push({ ...incr, error: true, timestamp: { start: 1796160000, stop: 1796160001 } });
  });
  expect(repositoryState(failed, 'eventline').newest.get('incr')?.completedAt).toBe(1796155791);
});

test('a stanza with no backup yet is read: no backups, no failure', () => {
  const empty = edited((info) => {
    info[0].backup = [];
    info[0].status = { code: 2, message: 'no valid backups' };
  });
  expect(repositoryState(empty, 'eventline').newest.size).toBe(0);
});

test('a repository pgBackRest cannot read, another stanza, or other output is a failed read saying why', () => {
  const missing = edited((info) => (info[0].status = { code: 1, message: 'missing stanza path' }));
  expect(() => repositoryState(missing, 'eventline')).toThrow(
    new RepositoryUnreadable('stanza eventline: missing stanza path (1)'),
  );
  expect(() => repositoryState(captured, 'other')).toThrow('pgbackrest info knows no stanza other');
  expect(() => repositoryState('ERROR: [055]', 'eventline')).toThrow(/is not its JSON/);
  const renamed = edited((info) => (info[0].backup[0] = { ...info[0].backup[0], type: 'snapshot' }));
  expect(() => repositoryState(renamed, 'eventline')).toThrow(/is not its JSON: 0\.backup\.0\.type: /);
});
