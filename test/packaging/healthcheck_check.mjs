// Checks scripts/packaging/healthcheck.mjs, the image's health check, with plain
// node (scripts/packaging/check.sh runs it): it asks the path it is given, and
// exits 0 on a 2xx answer, 1 on a 503 and 1 when nothing listens.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';

const script = join(import.meta.dirname, '..', '..', 'scripts', 'packaging', 'healthcheck.mjs');
const asked = [];
const server = createServer((req, res) => {
  asked.push(req.url);
  res.statusCode = req.url === '/ready' ? 503 : 200;
  res.end('{}');
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();

const failures = [];
async function expectExit(args, wanted) {
  const status = await new Promise((resolve) => {
    spawn(process.execPath, [script, ...args], { stdio: 'ignore' }).on('exit', resolve);
  });
  if (status !== wanted) failures.push(`healthcheck.mjs ${args.join(' ')} exited ${status}, want ${wanted}`);
}

await expectExit(['/health', String(port)], 0);
await expectExit(['/ready', String(port)], 1);
await new Promise((resolve) => server.close(resolve));
await expectExit(['/health', String(port)], 1);
if (asked.join(' ') !== '/health /ready') failures.push(`it asked ${asked.join(', ') || 'nothing'}`);

for (const failure of failures) console.log(`FAILED: ${failure}`);
if (failures.length === 0) {
  console.log('ok: scripts/packaging/healthcheck.mjs: 2xx → 0, 503 → 1, nothing listening → 1');
}
process.exit(failures.length === 0 ? 0 : 1);
