/**
 * `node dist/bench/perf-report.js <perf-script.txt> [--top n]`: the machine's
 * CPU per process, then, for each of our node processes, where its CPU was and
 * in which package, as Markdown tables (docs/profiles.md, "On-CPU with perf").
 * The input is `perf script -F pid,tid,comm,ip,sym,dso` of a `perf record -a -g`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cpuByLabel, cpuByProcess, parsePerfScript, type Share } from './lib/perf-script.ts';

function usage(message: string): never {
  process.stderr.write(`perf-report: ${message} (usage: perf-report <perf-script.txt> [--top n])\n`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '12' } } });
} catch (error) {
  usage(error instanceof Error ? error.message : String(error));
}
const [file, ...extra] = parsed.positionals;
if (!file || extra.length > 0) usage('one file of perf script output expected');
const top = Number(parsed.values.top);
if (!Number.isInteger(top) || top < 1) usage('--top must be a positive integer');

let text: string;
try {
  text = readFileSync(file, 'utf8');
} catch (error) {
  process.stderr.write(`perf-report: ${file}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
const processes = cpuByProcess(parsePerfScript(text));
const total = processes.reduce((sum, { samples }) => sum + samples, 0);
if (total === 0) {
  process.stderr.write(`perf-report: ${file}: no samples\n`);
  process.exit(1);
}
const percent = (part: number, of: number) => `${((part / of) * 100).toFixed(1)} %`;
const rows = <Key extends string>(shares: readonly Share<Key>[], of: number) =>
  shares.slice(0, top).map(({ key, samples }) => `| ${key} | ${samples} | ${percent(samples, of)} |`);

const lines = [
  `${total} samples on every CPU`,
  '',
  '| process | processes | samples | share of the machine |',
  '| --- | ---: | ---: | ---: |',
  ...cpuByLabel(processes)
    .slice(0, top)
    .map(
      ({ label, processes: count, samples }) =>
        `| ${label} | ${count} | ${samples} | ${percent(samples, total)} |`,
    ),
];
for (const { label, pid, samples, places, groups, symbols } of processes) {
  if (!groups.some(({ key }) => key !== 'no JavaScript on the stack')) continue;
  lines.push(
    '',
    `${label} (${pid}): ${samples} samples`,
    '',
    '| where the CPU was | samples | share |',
    '| --- | ---: | ---: |',
    ...rows(places, samples),
    '',
    '| innermost JavaScript frame in | samples | share |',
    '| --- | ---: | ---: |',
    ...rows(groups, samples),
    '',
    '| innermost frame | samples | share |',
    '| --- | ---: | ---: |',
    ...rows(
      symbols.map(({ key, samples: n }) => ({ key: `\`${key.replaceAll('|', '\\|')}\``, samples: n })),
      samples,
    ),
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
