import type { Server } from 'node:http';
import express from 'express';
import type { Registry } from 'prom-client';
import { opsRoutes } from './ops-routes.ts';
import { Readiness, type ReadinessCheck } from './readiness.ts';

/**
 * A deployable's ops port, the one way each builds it: /ready over its
 * dependency checks, /health, and /metrics from its registry. The readiness
 * exists from construction (the gateway answers probes on its API port too);
 * the port listens once `listen` is called.
 */
export class OpsEndpoint {
  readonly readiness: Readiness;
  private server: Server | undefined;

  constructor(
    private readonly checks: readonly ReadinessCheck[],
    private readonly registry: Registry,
  ) {
    this.readiness = new Readiness(checks);
  }

  /** Serves only /health, /ready and /metrics; resolves with the port once listening (0 picks a free one). */
  async listen(host: string, port: number): Promise<number> {
    const app = express();
    app.disable('x-powered-by');
    app.use(opsRoutes(this.readiness, this.registry));
    const server = await new Promise<Server>((resolve, reject) => {
      const listening = app.listen(port, host, () => resolve(listening));
      listening.once('error', reject);
    });
    this.server = server;
    const address = server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  /** Stops serving, then closes what the checks hold open (a probe's own client). */
  async close(): Promise<void> {
    const { server } = this;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all(this.checks.map((check) => check.close?.().catch(() => undefined)));
  }
}
