import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout or install root (where package.json and schemas/ sit), from source and from dist/ alike. */
export function projectRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  while (!(existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schemas')))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no project root (package.json beside schemas/) above ${from}`);
    dir = parent;
  }
  return dir;
}
