/**
 * A flame graph as a standalone SVG: stacks merged from the root, each frame as
 * wide as the time spent in it and below it, coloured by its package group, a
 * tooltip (<title>) with the frame's time. Frames narrower than a pixel are left out.
 */
import type { CpuProfile, Frame, Group } from './cpu-profile.ts';

interface Tree {
  readonly frame: Frame | undefined;
  ms: number;
  readonly children: Map<string, Tree>;
}

const WIDTH = 1200;
const ROW = 16;
const TOP = 40;

const COLOURS: Readonly<Record<Group, string>> = {
  ours: '#e8743b',
  kafkajs: '#5b8def',
  pg: '#3fa36b',
  slonik: '#7cc48f',
  express: '#b36bd6',
  avro: '#d6b13b',
  pino: '#d65b8a',
  redis: '#c0392b',
  'other packages': '#9aa5b1',
  'node internals': '#c9cdd2',
  GC: '#6b6b6b',
  'V8 (program)': '#8d8d8d',
};

function escape(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

function treeOf(profile: CpuProfile): Tree {
  const root: Tree = { frame: undefined, ms: 0, children: new Map() };
  for (const { frames, ms } of profile.stacks) {
    let at = root;
    at.ms += ms;
    for (const frame of frames) {
      const key = `${frame.name} ${frame.where}`;
      let child = at.children.get(key);
      if (!child) at.children.set(key, (child = { frame, ms: 0, children: new Map() }));
      child.ms += ms;
      at = child;
    }
  }
  return root;
}

interface Box {
  readonly x: number;
  readonly level: number;
  readonly width: number;
  readonly node: Tree;
  readonly frame: Frame;
}

function boxesOf(root: Tree, scale: number): Box[] {
  const boxes: Box[] = [];
  const walk = (node: Tree, x: number, level: number): void => {
    let childX = x;
    const children = [...node.children.values()].sort((a, b) =>
      (a.frame?.name ?? '').localeCompare(b.frame?.name ?? ''),
    );
    for (const child of children) {
      const width = child.ms * scale;
      if (width >= 1 && child.frame) {
        boxes.push({ x: childX, level, width, node: child, frame: child.frame });
        walk(child, childX, level + 1);
      }
      childX += width;
    }
  };
  walk(root, 0, 0);
  return boxes;
}

export function flameGraphSvg(profile: CpuProfile, title: string): string {
  const root = treeOf(profile);
  const boxes = boxesOf(root, WIDTH / Math.max(root.ms, 1e-9));
  const levels = Math.max(0, ...boxes.map((box) => box.level + 1));
  const height = TOP + levels * ROW + 30;
  // The root at the bottom, callees above their callers.
  const yOf = (level: number) => TOP + (levels - 1 - level) * ROW;
  const drawn = boxes.map(({ x, level, width, node, frame }) => {
    const { name, where, group } = frame;
    const share = ((node.ms / root.ms) * 100).toFixed(1);
    const label = width > 40 ? escape(name.slice(0, Math.floor((width - 6) / 6.6))) : '';
    return (
      `<g><title>${escape(`${name} ${where}`.trim())} [${group}]: ${node.ms.toFixed(0)} ms, ${share} %</title>` +
      `<rect x="${x.toFixed(1)}" y="${yOf(level)}" width="${(width - 0.5).toFixed(1)}" height="${ROW - 1}" fill="${COLOURS[group]}"/>` +
      (label ? `<text x="${(x + 3).toFixed(1)}" y="${yOf(level) + 11}">${label}</text>` : '') +
      `</g>`
    );
  });
  const legend = Object.entries(COLOURS)
    .map(
      ([group, colour], i) =>
        `<rect x="${i * 100}" y="${height - 18}" width="10" height="10" fill="${colour}"/>` +
        `<text x="${i * 100 + 13}" y="${height - 9}">${escape(group)}</text>`,
    )
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="monospace" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="0" y="16" font-size="14">${escape(title)}</text>`,
    `<text x="0" y="32" fill="#555">${profile.busyMs.toFixed(0)} ms busy of ${profile.wallMs.toFixed(0)} ms sampled; width = time in a frame and its callees; hover for figures</text>`,
    ...drawn,
    legend,
    `</svg>`,
  ].join('\n');
}
