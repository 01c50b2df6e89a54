/**
 * Linux `perf` samples (`perf script -F pid,tid,comm,ip,sym,dso` of a
 * `perf record -a -g` taken while a benchmark runs) told per process: where
 * each process's CPU was (the kernel, JavaScript compiled by V8, V8's GC and
 * compilers, its built-ins and runtime, libc) and in which package the
 * innermost JavaScript frame of each sample ran. Unlike `node --cpu-prof`,
 * whose samples land where a thread stopped even while it waits for a core,
 * perf samples only what is on a CPU, so shares are of CPU time. Services
 * started with `--perf-prof` (BENCH_PERF_JIT_DIR, bench/lib/pipeline.ts) name
 * their JavaScript and V8's built-ins once `perf inject --jit` has read their
 * jitdumps: both then sit in `jitted-<pid>-<n>.so` images.
 */
import { type Group, scriptOf } from './cpu-profile.ts';

export interface PerfFrame {
  readonly symbol: string;
  readonly dso: string;
}

export interface PerfSample {
  readonly pid: number;
  readonly comm: string;
  /** Innermost first, as perf prints them. */
  readonly frames: readonly PerfFrame[];
}

const HEADER = /^(.*?)\s+(\d+)\/(\d+)\s*$/;
const FRAME = /^\s*[0-9a-f]+\s+(.*)\s+\(([^()]*)\)\s*$/;

export function parsePerfScript(text: string): PerfSample[] {
  const samples: PerfSample[] = [];
  let current: { pid: number; comm: string; frames: PerfFrame[] } | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (current) samples.push(current);
      current = undefined;
      continue;
    }
    const header = /^\s/.test(line) ? null : HEADER.exec(line);
    if (header) {
      if (current) samples.push(current);
      current = { pid: Number(header[2]), comm: header[1] ?? '', frames: [] };
      continue;
    }
    const frame = FRAME.exec(line);
    if (current && frame) current.frames.push({ symbol: frame[1] ?? '', dso: frame[2] ?? '' });
  }
  if (current) samples.push(current);
  return samples;
}

/** Where a sample's CPU was: what its innermost frame is. */
export const PLACES = [
  'JavaScript (JIT code)',
  'V8 built-ins',
  'V8 and node runtime (C++)',
  'GC',
  'V8 compilers',
  'kernel',
  'libc',
  'other',
] as const;
export type Place = (typeof PLACES)[number];

const GC = /v8::internal::(Scaveng|Mark|ConcurrentMarking|Sweep|Heap::|Evacuat|MinorMS|MemoryAllocator|.*GC)/;
const COMPILER = /v8::internal::(compiler::|maglev::|baseline::|Compiler::|Parser|Turboshaft)/;

/** V8's name for JavaScript: `JS:` and a tier mark (`*+^~`), the function, a space, its script:line:column. */
const JS_SYMBOL = /^JS:[*+^~]?'?\S*\s+(.+?)(?::\d+)?(?::\d+)?$/;

function placeOf(frame: PerfFrame | undefined): Place {
  if (!frame) return 'other';
  const { symbol, dso } = frame;
  if (dso === '[kernel.kallsyms]') return 'kernel';
  if (/\/jitted-\d+-\d+\.so$/.test(dso))
    return symbol.startsWith('Builtin:') ? 'V8 built-ins' : 'JavaScript (JIT code)';
  if (/\/libc[.-]/.test(dso)) return 'libc';
  if (/\/node$/.test(dso)) {
    if (GC.test(symbol)) return 'GC';
    if (COMPILER.test(symbol)) return 'V8 compilers';
    if (symbol.startsWith('Builtins_')) return 'V8 built-ins';
    return 'V8 and node runtime (C++)';
  }
  return 'other';
}

/** The script of a JavaScript frame, or undefined for native code. */
function scriptUrl(frame: PerfFrame): string | undefined {
  const js = JS_SYMBOL.exec(frame.symbol);
  return js?.[1]?.replace(/^file:\/\//, '');
}

/** The package group of the innermost JavaScript frame (no JavaScript: native work such as GC or I/O). */
function groupOf(sample: PerfSample): Group | 'no JavaScript on the stack' {
  for (const frame of sample.frames) {
    const url = scriptUrl(frame);
    if (url !== undefined) return scriptOf(url).group;
  }
  return 'no JavaScript on the stack';
}

/** The deployables, whose folders name their processes (a process runs the building blocks' code too). */
const DEPLOYABLES = /\/dist\/(?:services\/(gateway|relay|projector)\/|bench\/floor\/([a-z-]+)\.js)/;

/** A process named by the deployable its JavaScript belongs to, else by its command (idle: no process). */
function labelOf(samples: readonly PerfSample[]): string {
  for (const sample of samples)
    for (const frame of sample.frames) {
      const named = DEPLOYABLES.exec(scriptUrl(frame) ?? '');
      if (named) return named[1] ?? named[2] ?? '?';
    }
  const first = samples[0];
  if (first?.pid === 0) return 'idle';
  // Node names its main thread so; without --perf-prof its JavaScript has no names to tell it by.
  return first?.comm === 'MainThread' ? 'node' : (first?.comm ?? '?');
}

export interface Share<Key extends string> {
  readonly key: Key;
  readonly samples: number;
}

export interface ProcessCpu {
  readonly pid: number;
  readonly label: string;
  readonly samples: number;
  readonly places: readonly Share<Place>[];
  readonly groups: readonly Share<Group | 'no JavaScript on the stack'>[];
  /** Innermost frames, most sampled first. */
  readonly symbols: readonly Share<string>[];
}

function counted<Key extends string>(keys: readonly Key[]): Share<Key>[] {
  const counts = new Map<Key, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts].map(([key, samples]) => ({ key, samples })).sort((a, b) => b.samples - a.samples);
}

/** Every process's samples (all its threads), most first. */
export function cpuByProcess(samples: readonly PerfSample[]): ProcessCpu[] {
  const byPid = new Map<number, PerfSample[]>();
  for (const sample of samples) {
    const its = byPid.get(sample.pid);
    if (its) its.push(sample);
    else byPid.set(sample.pid, [sample]);
  }
  return [...byPid]
    .map(([pid, its]) => ({
      pid,
      label: labelOf(its),
      samples: its.length,
      places: counted(its.map((sample) => placeOf(sample.frames[0]))),
      groups: counted(its.map(groupOf)),
      symbols: counted(its.map((sample) => sample.frames[0]?.symbol ?? '?')),
    }))
    .sort((a, b) => b.samples - a.samples);
}

/** The machine's samples by process label: every PostgreSQL backend together, for one. */
export function cpuByLabel(
  processes: readonly ProcessCpu[],
): { readonly label: string; readonly processes: number; readonly samples: number }[] {
  const byLabel = new Map<string, { processes: number; samples: number }>();
  for (const { label, samples } of processes) {
    const known = byLabel.get(label) ?? { processes: 0, samples: 0 };
    byLabel.set(label, { processes: known.processes + 1, samples: known.samples + samples });
  }
  return [...byLabel].map(([label, counts]) => ({ label, ...counts })).sort((a, b) => b.samples - a.samples);
}
