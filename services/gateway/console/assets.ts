import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Request, type Response, Router } from 'express';
import { projectRoot } from '../../platform/paths/index.ts';

// Read from the project root, like the migrations' .sql files: tsc compiles neither (the Dockerfile copies both).
const ASSETS_DIR = join(projectRoot(), 'services', 'gateway', 'console', 'assets');

const ASSETS = [
  { file: 'console.js', type: 'text/javascript' },
  { file: 'console.css', type: 'text/css' },
] as const;

/** The console's one script and one stylesheet, read once at start-up. */
export function consoleAssets(): Router {
  const router = Router();
  for (const { file, type } of ASSETS) {
    const body = readFileSync(join(ASSETS_DIR, file));
    const etag = `"${createHash('sha256').update(body).digest('base64url')}"`;
    router.get(`/admin/assets/${file}`, (_req: Request, res: Response) => {
      // Revalidated on every page: a new gateway's script is used at once, and an unchanged one costs a
      // 304 (express answers it from this ETag, computed once; the app computes none itself).
      res.setHeader('Cache-Control', 'no-cache');
      res.setHeader('ETag', etag);
      res.type(type).send(body);
    });
  }
  return router;
}
