import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resumptionOf } from './export-output.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'export-output-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const cursor = (n: number) => `${String(1000 + n).padStart(20, '0')}-${String(n).padStart(20, '0')}`;
const eventLine = (n: number, size = 900) =>
  `{"kind":"event","cursor":"${cursor(n)}","data":{"note":"${'é'.repeat(size / 2)}"},"erased":[]}\n`;
const rowLine = '{"kind":"row","readModel":"orders","table":"orders","row":{"x":1},"erased":[]}\n';

async function file(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

test('a cut export resumes after its last complete event line, however far back, and counts the lines kept', async () => {
  // About 3 MB: the scan back crosses several of its 1 MiB reads.
  const events = Array.from({ length: 3000 }, (_, i) => eventLine(i + 1)).join('');
  const cut = await file('cut.ndjson', `${events}${rowLine.repeat(2000)}{"kind":"row","rea`);
  expect(await resumptionOf(cut)).toEqual({
    keepBytes: Buffer.byteLength(events),
    after: cursor(3000),
    complete: false,
    eventLines: 3000,
  });
});

test('an event line longer than a read, and half a line after it', async () => {
  const long = eventLine(2, 3 * 1024 * 1024);
  const content = `${eventLine(1)}${long}`;
  const cut = await file('long.ndjson', `${content}${eventLine(3).slice(0, 30)}`);
  expect(await resumptionOf(cut)).toEqual({
    keepBytes: Buffer.byteLength(content),
    after: cursor(2),
    complete: false,
    eventLines: 2,
  });
});

test('nothing to keep: no file, an empty one, or no complete event line; a complete export is said so', async () => {
  const none = { keepBytes: 0, after: undefined, complete: false, eventLines: 0 };
  expect(await resumptionOf(join(dir, 'missing.ndjson'))).toEqual(none);
  expect(await resumptionOf(await file('empty.ndjson', ''))).toEqual(none);
  expect(await resumptionOf(await file('half.ndjson', eventLine(1).slice(0, 40)))).toEqual(none);
  expect(await resumptionOf(await file('rows.ndjson', `${rowLine}${rowLine}`))).toEqual(none);
  const whole = `${eventLine(1)}${rowLine}{"kind":"end","events":1,"rows":1,"cursor":"${cursor(1)}"}\n`;
  expect(await resumptionOf(await file('whole.ndjson', whole))).toEqual({
    keepBytes: Buffer.byteLength(whole),
    after: undefined,
    complete: true,
    eventLines: 0,
  });
});
