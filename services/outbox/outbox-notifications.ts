import pg from 'pg';
import { postgresTarget } from '../platform/database/index.ts';
import type { Logger } from '../platform/telemetry/index.ts';
import { OUTBOX_CHANNEL as CHANNEL } from './outbox-doorbell.ts';

/**
 * LISTENs for the event store's doorbell (payload: the lanes written, rung after
 * the appends committed)
 * on a connection of its own, reconnecting after a loss. Notifications only
 * make the relay quicker: lanes poll too, so a lost connection, or a pooler that
 * drops LISTEN, slows publishing down to the poll interval but loses nothing.
 */
export class OutboxNotifications {
  private client: pg.Client | undefined;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly databaseUrl: string,
    private readonly onLanes: (lanes: readonly number[] | 'all') => void,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.connect(0);
  }

  private async connect(attempt: number): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ ...postgresTarget(this.databaseUrl), keepAlive: true });
    client.on('notification', (message) => {
      if (message.channel !== CHANNEL) return;
      const lanes = (message.payload ?? '')
        .split(',')
        .filter((lane) => lane !== '')
        .map(Number);
      this.onLanes(lanes.length > 0 ? lanes : 'all');
    });
    client.on('error', (error) => this.lost(client, error, 0));
    client.on('end', () => this.lost(client, new Error('connection ended'), 0));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      this.client = client;
      // Whatever was notified while we were away: every lane looks once.
      this.onLanes('all');
    } catch (error) {
      this.lost(client, error, attempt);
    }
  }

  private lost(client: pg.Client, error: unknown, attempt: number): void {
    if (this.closed || (this.client !== undefined && this.client !== client) || this.retryTimer) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    const delay = Math.min(30_000, 250 * 2 ** attempt) * (0.5 + Math.random() / 2);
    this.log.warn(
      { err: error, retryInMs: Math.round(delay) },
      'outbox notifications lost; lanes poll meanwhile',
    );
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect(attempt + 1);
    }, delay);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.client?.end().catch(() => undefined);
  }
}
