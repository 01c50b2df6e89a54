/**
 * `node dist/bench/profile-report.js <file.cpuprofile> [--svg out.svg] [--folded out.folded] [--title t] [--top n]`:
 * prints a profile's busy time by package group and its top self-time functions
 * as Markdown tables (docs/profiles.md), and writes its flame graph as SVG and
 * its folded stacks (for flamegraph.pl, inferno or speedscope) when asked.
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type CpuProfile,
  folded,
  groupTimes,
  oursInclusive,
  readCpuProfile,
  selfTimes,
} from './lib/cpu-profile.ts';
import { flameGraphSvg } from './lib/flame-graph.ts';

function usage(message: string): never {
  process.stderr.write(
    `profile-report: ${message} (usage: profile-report <file.cpuprofile> [--svg f] [--folded f] [--title t] [--top n])\n`,
  );
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      svg: { type: 'string' },
      folded: { type: 'string' },
      title: { type: 'string' },
      top: { type: 'string', default: '15' },
    },
  });
} catch (error) {
  usage(error instanceof Error ? error.message : String(error));
}
const [file, ...extra] = parsed.positionals;
if (!file || extra.length > 0) usage('one .cpuprofile file expected');
const top = Number(parsed.values.top);
if (!Number.isInteger(top) || top < 1) usage('--top must be a positive integer');

let profile: CpuProfile;
try {
  profile = readCpuProfile(file);
} catch (error) {
  process.stderr.write(
    `profile-report: ${file}: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}
const title = parsed.values.title ?? basename(file);
const percent = (ms: number) => `${((ms / profile.busyMs) * 100).toFixed(1)} %`;

const lines = [
  `${title}: ${profile.busyMs.toFixed(0)} ms busy of ${profile.wallMs.toFixed(0)} ms sampled (start-up's module loading, ${profile.startUpMs.toFixed(0)} ms, left out)`,
  '',
  '| group | self ms | share of busy |',
  '| --- | ---: | ---: |',
  ...groupTimes(profile).map(({ group, ms }) => `| ${group} | ${ms.toFixed(0)} | ${percent(ms)} |`),
  '',
  '| function | where | group | self ms | share of busy |',
  '| --- | --- | --- | ---: | ---: |',
  ...selfTimes(profile)
    .slice(0, top)
    .map(
      ({ frame, ms }) =>
        `| \`${frame.name}\` | ${frame.where ? `\`${frame.where}\`` : ''} | ${frame.group} | ${ms.toFixed(0)} | ${percent(ms)} |`,
    ),
  '',
  '| our function, with its callees | where | total ms | share of busy |',
  '| --- | --- | ---: | ---: |',
  ...oursInclusive(profile)
    .slice(0, top)
    .map(({ frame, ms }) => `| \`${frame.name}\` | \`${frame.where}\` | ${ms.toFixed(0)} | ${percent(ms)} |`),
];
process.stdout.write(`${lines.join('\n')}\n`);
if (parsed.values.svg) writeFileSync(parsed.values.svg, flameGraphSvg(profile, title));
if (parsed.values.folded) writeFileSync(parsed.values.folded, `${folded(profile).join('\n')}\n`);
