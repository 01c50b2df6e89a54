/**
 * A V8 `.cpuprofile` (what `node --cpu-prof` writes) read as samples of call
 * stacks, each frame put in the package it runs in, so a profile can be told
 * as "how much of the busy time went to kafkajs, to pg, to our own code".
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  /** 0-based, as V8 writes it. */
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly hitCount?: number;
  readonly children?: readonly number[];
}

interface RawProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Where a frame's time is counted: the project's own code, a package group, or the runtime. */
export const GROUPS = [
  'ours',
  'kafkajs',
  'pg',
  'slonik',
  'express',
  'avro',
  'pino',
  'redis',
  'other packages',
  'node internals',
  'GC',
  'V8 (program)',
] as const;
export type Group = (typeof GROUPS)[number];

export interface Frame {
  readonly name: string;
  /** The file, relative to the package or the project, and the 1-based line. */
  readonly where: string;
  readonly group: Group;
}

export interface CpuProfile {
  /** Wall time covered by the profile, ms. */
  readonly wallMs: number;
  /** Sampled time not idle, ms, start-up left out. */
  readonly busyMs: number;
  /** Sampled time loading and compiling modules at start-up, ms: left out of the stacks. */
  readonly startUpMs: number;
  /** Busy stacks, root first, with the ms sampled in each (idle left out). */
  readonly stacks: readonly { readonly frames: readonly Frame[]; readonly ms: number }[];
}

const PACKAGE_GROUPS: Readonly<Record<string, Group>> = {
  kafkajs: 'kafkajs',
  slonik: 'slonik',
  pg: 'pg',
  'pg-pool': 'pg',
  'pg-protocol': 'pg',
  'pg-types': 'pg',
  'pg-cursor': 'pg',
  'postgres-array': 'pg',
  'postgres-date': 'pg',
  'pg-connection-string': 'pg',
  express: 'express',
  router: 'express',
  'body-parser': 'express',
  'raw-body': 'express',
  send: 'express',
  'on-finished': 'express',
  finalhandler: 'express',
  qs: 'express',
  'path-to-regexp': 'express',
  'content-type': 'express',
  'type-is': 'express',
  accepts: 'express',
  avsc: 'avro',
  '@kafkajs/confluent-schema-registry': 'avro',
  pino: 'pino',
  'pino-std-serializers': 'pino',
  'sonic-boom': 'pino',
  'thread-stream': 'pino',
  'fast-redact': 'pino',
  'quick-format-unescaped': 'pino',
  'safe-stable-stringify': 'pino',
  ioredis: 'redis',
  'redis-parser': 'redis',
  '@redis/client': 'redis',
  redis: 'redis',
};

/** The package a node_modules path belongs to (the innermost one), and the file inside it. */
function packageOf(url: string): { name: string; file: string } | undefined {
  const at = url.lastIndexOf('/node_modules/');
  if (at < 0) return undefined;
  const rest = url.slice(at + '/node_modules/'.length).split('/');
  const scoped = rest[0]?.startsWith('@') ?? false;
  const name = scoped ? `${rest[0]}/${rest[1]}` : (rest[0] ?? '');
  return { name, file: rest.slice(scoped ? 2 : 1).join('/') };
}

/** Where the JavaScript of a script at `url` is counted, and its file as a table names it. */
export function scriptOf(url: string): { readonly group: Group; readonly file: string } {
  const pkg = packageOf(url);
  if (pkg) {
    const group = pkg.name.startsWith('@slonik/') ? 'slonik' : (PACKAGE_GROUPS[pkg.name] ?? 'other packages');
    return { group, file: `${pkg.name}/${pkg.file}` };
  }
  if (url.startsWith('node:')) return { group: 'node internals', file: url };
  const ours = /\/dist\/(.*)$/.exec(url);
  return { group: 'ours', file: ours?.[1] ?? url };
}

function frameOf(callFrame: CallFrame): Frame {
  const { functionName, url } = callFrame;
  const name = functionName || '(anonymous)';
  if (!url) {
    if (functionName === '(garbage collector)') return { name, where: '', group: 'GC' };
    if (functionName === '(program)') return { name, where: '', group: 'V8 (program)' };
    // Native code entered from JavaScript: writev, the crypto and zlib bindings, and the like.
    return { name, where: '(native)', group: 'node internals' };
  }
  const { group, file } = scriptOf(url);
  return { name, where: `${file}:${callFrame.lineNumber + 1}`, group };
}

const IDLE = new Set(['(idle)', '(root)']);

export function readCpuProfile(path: string): CpuProfile {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as RawProfile;
  const byId = new Map(raw.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of raw.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  // timeDeltas[i] is the time from sample i-1 to sample i: it is charged to sample i-1's stack.
  const msAt = new Map<number, number>();
  for (let i = 0; i < raw.samples.length; i++) {
    const id = raw.samples[i] as number;
    const ms = (raw.timeDeltas[i + 1] ?? 0) / 1000;
    msAt.set(id, (msAt.get(id) ?? 0) + ms);
  }
  const stacks: { frames: Frame[]; ms: number }[] = [];
  let busyMs = 0;
  let startUpMs = 0;
  for (const [id, ms] of msAt) {
    const leaf = byId.get(id);
    if (!leaf || ms <= 0 || leaf.callFrame.functionName === '(idle)') continue;
    const frames: Frame[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (node && !IDLE.has(node.callFrame.functionName)) frames.push(frameOf(node.callFrame));
    }
    frames.reverse();
    // Loading the modules happens once, before the load the profile is taken under.
    if (frames.some((frame) => frame.where.startsWith('node:internal/modules/'))) {
      startUpMs += ms;
      continue;
    }
    stacks.push({ frames, ms });
    busyMs += ms;
  }
  return { wallMs: (raw.endTime - raw.startTime) / 1000, busyMs, startUpMs, stacks };
}

/** `frame;frame;… ms` lines (Brendan Gregg's folded format, in microseconds), merged by stack. */
export function folded(profile: CpuProfile): string[] {
  const merged = new Map<string, number>();
  for (const { frames, ms } of profile.stacks) {
    const key = frames.map((f) => `${f.name} ${f.where}`.trim().replaceAll(';', ',')).join(';');
    merged.set(key, (merged.get(key) ?? 0) + ms);
  }
  return [...merged].map(([key, ms]) => `${key} ${Math.round(ms * 1000)}`);
}

export interface SelfTime {
  readonly frame: Frame;
  readonly ms: number;
}

/** Self time per function (the leaf frame of each sample), most first. */
export function selfTimes(profile: CpuProfile): SelfTime[] {
  const totals = new Map<string, SelfTime>();
  for (const { frames, ms } of profile.stacks) {
    const leaf = frames.at(-1);
    if (!leaf) continue;
    const key = `${leaf.name} ${leaf.where}`;
    totals.set(key, { frame: leaf, ms: (totals.get(key)?.ms ?? 0) + ms });
  }
  return [...totals.values()].sort((a, b) => b.ms - a.ms);
}

/** Self time per group, most first. */
export function groupTimes(profile: CpuProfile): { group: Group; ms: number }[] {
  const totals = new Map<Group, number>();
  for (const { frame, ms } of selfTimes(profile))
    totals.set(frame.group, (totals.get(frame.group) ?? 0) + ms);
  return [...totals].map(([group, ms]) => ({ group, ms })).sort((a, b) => b.ms - a.ms);
}

/** Time in each of our own functions and everything it called (each sample counted once per function). */
export function oursInclusive(profile: CpuProfile): SelfTime[] {
  const totals = new Map<string, SelfTime>();
  for (const { frames, ms } of profile.stacks) {
    const seen = new Set<string>();
    for (const frame of frames) {
      const key = `${frame.name} ${frame.where}`;
      if (frame.group !== 'ours' || seen.has(key)) continue;
      seen.add(key);
      totals.set(key, { frame, ms: (totals.get(key)?.ms ?? 0) + ms });
    }
  }
  return [...totals.values()].sort((a, b) => b.ms - a.ms);
}
