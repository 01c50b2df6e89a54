// The container image's health check (Dockerfile HEALTHCHECK, docker-compose.yml):
//   node healthcheck.mjs [path] [port]
// Asks http://127.0.0.1:<port><path> (path /health by default) and exits 0 on a
// 2xx answer within 2 s, 1 otherwise. Without a port it finds the service from
// the command of PID 1 (tini -- node dist/services/<service>/main.js) and takes
// its port variable (docs/contracts.md §2); a CLI one-shot has no server and counts as healthy.
import { readFileSync } from 'node:fs';

const PORTS = {
  gateway: ['PORT', 3000],
  relay: ['RELAY_PORT', 9101],
  projector: ['PROJECTOR_PORT', 9102],
};

function runningService() {
  try {
    const argv = readFileSync('/proc/1/cmdline', 'utf8').split('\0');
    for (const arg of argv) {
      const match = /services\/(gateway|relay|projector)\/main\.js$/.exec(arg);
      if (match) return match[1];
    }
  } catch {
    // Not Linux, or /proc hidden: fall back to the gateway.
    return 'gateway';
  }
  return undefined;
}

const [path = '/health', explicitPort] = process.argv.slice(2);
let port = explicitPort;
if (port === undefined) {
  const service = runningService();
  if (service === undefined) process.exit(0);
  const [variable, fallback] = PORTS[service];
  port = process.env[variable] || String(fallback);
}

try {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2_000) });
  if (!response.ok) console.error(`healthcheck: ${path} on port ${port} answered ${response.status}`);
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.error(
    `healthcheck: ${path} on port ${port}: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
}
