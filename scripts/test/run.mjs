// Runs jest (ESM, so under --experimental-vm-modules) with parallelism sized for
// the machine, then prints one closing line "tests: N passed, N failed, N skipped"
// that CI reads. Extra arguments go to jest.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const resultsFile = join(root, '.run', 'jest-results.json');
mkdirSync(join(root, '.run'), { recursive: true });
rmSync(resultsFile, { force: true });

const workers = process.env.JEST_WORKERS ?? String(Math.max(1, Math.min(2, availableParallelism())));
const run = spawnSync(
  process.execPath,
  [
    '--experimental-vm-modules',
    '--no-warnings=ExperimentalWarning',
    join(root, 'node_modules/jest/bin/jest.js'),
    `--maxWorkers=${workers}`,
    '--json',
    `--outputFile=${resultsFile}`,
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: 'inherit' },
);

let summary = 'tests: no results (jest did not finish)';
try {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  const skipped = results.numPendingTests + results.numTodoTests;
  summary = `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped`;
  if (results.numRuntimeErrorTestSuites > 0)
    summary += ` (${results.numRuntimeErrorTestSuites} suites failed to run)`;
} catch {
  // jest crashed before writing results: its own output above says why.
}
console.log(summary);
process.exit(run.status ?? 1);
