import { failureReason } from '../resilience/index.ts';

/** One dependency a service checks for /ready. */
export interface ReadinessCheck {
  readonly name: string;
  /** Without an essential dependency the service cannot do its job: /ready answers 503. */
  readonly essential: boolean;
  check(signal: AbortSignal): Promise<void>;
  /** Closes what the check holds open, if anything (a probe's own client): at shutdown. */
  close?(): Promise<void>;
}

export type CheckResult =
  { readonly status: 'up'; readonly latencyMs: number } | { readonly status: 'down'; readonly error: string };

export interface ReadinessReport {
  readonly status: 'ok' | 'degraded' | 'down';
  readonly checks: Readonly<Record<string, CheckResult>>;
}

/**
 * Runs every check with a short timeout and keeps the report for a moment, so
 * probes and scrapes in a burst cost one round of checks.
 */
export class Readiness {
  private cached: { at: number; report: Promise<ReadinessReport> } | undefined;

  constructor(
    private readonly checks: readonly ReadinessCheck[],
    private readonly options: { timeoutMs?: number; cacheMs?: number } = {},
  ) {}

  report(): Promise<ReadinessReport> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > (this.options.cacheMs ?? 1000)) {
      this.cached = { at: now, report: this.evaluate() };
    }
    return this.cached.report;
  }

  private async evaluate(): Promise<ReadinessReport> {
    const results = await Promise.all(this.checks.map((check) => this.run(check)));
    const checks = Object.fromEntries(this.checks.map((check, i) => [check.name, results[i] as CheckResult]));
    const down = this.checks.filter((check) => checks[check.name]?.status === 'down');
    const status = down.some((check) => check.essential) ? 'down' : down.length > 0 ? 'degraded' : 'ok';
    return { status, checks };
  }

  private async run(check: ReadinessCheck): Promise<CheckResult> {
    const started = performance.now();
    const signal = AbortSignal.timeout(this.options.timeoutMs ?? 1500);
    try {
      await Promise.race([
        check.check(signal),
        new Promise<never>((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error('timed out')), { once: true }),
        ),
      ]);
      return { status: 'up', latencyMs: Math.round(performance.now() - started) };
    } catch (error) {
      return { status: 'down', error: failureReason(error) };
    }
  }
}
