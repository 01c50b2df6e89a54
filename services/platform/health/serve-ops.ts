import type { Server } from 'node:http';
import express from 'express';
import type { Registry } from 'prom-client';
import { opsRoutes } from './ops-routes.ts';
import type { Readiness } from './readiness.ts';

/** Serves only /health, /ready and /metrics: every service's ops port; resolves once listening. */
export async function serveOps(
  readiness: Readiness,
  registry: Registry,
  host: string,
  port: number,
): Promise<{ server: Server; port: number }> {
  const app = express();
  app.disable('x-powered-by');
  app.use(opsRoutes(readiness, registry));
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(port, host, () => resolve(listening));
    listening.once('error', reject);
  });
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : port };
}
