import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { folded, groupTimes, oursInclusive, readCpuProfile, selfTimes } from '../../bench/lib/cpu-profile.ts';
import { flameGraphSvg } from '../../bench/lib/flame-graph.ts';

const frame = (functionName: string, url = '', lineNumber = 0) => ({
  functionName,
  url,
  lineNumber,
  columnNumber: 0,
  scriptId: '0',
});

/**
 * root → sweep (ours) → sendBatch (kafkajs) → writev (native); root → GC; root → idle;
 * root → a module being loaded. Samples every 1 ms: 3 in writev, 2 in sweep, 1 GC, 4 idle, 2 loading
 * (the last of which, with no sample after it, counts for nothing).
 */
function profileFile(): string {
  const nodes = [
    { id: 1, callFrame: frame('(root)'), children: [2, 5, 6, 7] },
    { id: 2, callFrame: frame('sweep', 'file:///app/dist/services/relay/lane-sweep.js', 9), children: [3] },
    {
      id: 3,
      callFrame: frame('sendBatch', 'file:///app/node_modules/kafkajs/src/producer/index.js', 41),
      children: [4],
    },
    { id: 4, callFrame: frame('writev') },
    { id: 5, callFrame: frame('(garbage collector)') },
    { id: 6, callFrame: frame('(idle)') },
    { id: 7, callFrame: frame('compileSourceTextModule', 'node:internal/modules/esm/utils', 316) },
  ];
  const samples = [4, 4, 4, 2, 2, 5, 6, 6, 6, 6, 7, 7];
  const directory = mkdtempSync(join(tmpdir(), 'cpu-profile-'));
  const file = join(directory, 'test.cpuprofile');
  writeFileSync(
    file,
    JSON.stringify({
      nodes,
      startTime: 0,
      endTime: 13_000,
      samples,
      // One per sample, from the sample before: the last sample is charged nothing.
      timeDeltas: samples.map(() => 1_000),
    }),
  );
  return file;
}

test('reads a profile as busy stacks by package group, idle and start-up left out', () => {
  const profile = readCpuProfile(profileFile());
  expect(profile.busyMs).toBe(6);
  expect(profile.startUpMs).toBe(1);
  expect(profile.wallMs).toBe(13);
  expect(groupTimes(profile)).toEqual([
    { group: 'node internals', ms: 3 },
    { group: 'ours', ms: 2 },
    { group: 'GC', ms: 1 },
  ]);
  const [top] = selfTimes(profile);
  expect(top).toEqual({ frame: { name: 'writev', where: '(native)', group: 'node internals' }, ms: 3 });
  expect(oursInclusive(profile)).toEqual([
    { frame: { name: 'sweep', where: 'services/relay/lane-sweep.js:10', group: 'ours' }, ms: 5 },
  ]);
  expect(folded(profile).sort()).toEqual([
    '(garbage collector) 1000',
    'sweep services/relay/lane-sweep.js:10 2000',
    'sweep services/relay/lane-sweep.js:10;sendBatch kafkajs/src/producer/index.js:42;writev (native) 3000',
  ]);
});

test('renders a flame graph with a box per frame, its figures in the tooltip', () => {
  const svg = flameGraphSvg(readCpuProfile(profileFile()), 'relay <test>');
  expect(svg).toContain('relay &lt;test&gt;');
  expect(svg.match(/<rect [^>]*height="15"/g)).toHaveLength(4);
  expect(svg).toContain('<title>sweep services/relay/lane-sweep.js:10 [ours]: 5 ms, 83.3 %</title>');
});
