import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Response } from 'express';

/**
 * Text written at a time. Small enough that V8 keeps each in its young
 * generation, where it is freed at once: a string of a whole page would go
 * to the large-object space, freed only by a full collection, and a long
 * export would grow the heap until one ran.
 */
const CHUNK_CHARS = 32 * 1024;

/** The client went away mid-stream: nothing more is written, and nothing went wrong on our side. */
export class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
  constructor() {
    super('the client closed the connection');
  }
}

/**
 * A streamed `application/x-ndjson` answer, one JSON value a line. Writes
 * wait while the socket's buffer is full (`write` answered false) until it
 * drains, so a slow client slows the producer instead of filling memory; once
 * the client has gone every write and pause throws ClientGoneError, which
 * stops the producer at its next step.
 */
export class NdjsonResponse {
  private gone = false;
  private readonly closed: Promise<void>;

  constructor(private readonly res: Response) {
    this.closed = new Promise((resolve) => {
      res.once('close', () => {
        this.gone = !res.writableFinished;
        resolve();
      });
    });
  }

  /** Sends the status and headers: from here on a failure can only cut the stream short. */
  begin(): void {
    this.res.status(200);
    this.res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    this.res.setHeader('Cache-Control', 'no-store');
    // Proxies that buffer answers (nginx) would hold the whole stream back otherwise.
    this.res.setHeader('X-Accel-Buffering', 'no');
    this.res.flushHeaders();
  }

  async write(lines: readonly object[]): Promise<void> {
    this.stillThere();
    let text = '';
    let full = false;
    for (const line of lines) {
      text += `${JSON.stringify(line)}\n`;
      if (text.length < CHUNK_CHARS) continue;
      full = !this.res.write(text);
      text = '';
    }
    if (text !== '') full = !this.res.write(text);
    if (full) await Promise.race([once(this.res, 'drain'), this.closed]);
    this.stillThere();
  }

  /** Waits, but no longer than the client stays: a producer waiting for data to be ready. */
  async pause(ms: number): Promise<void> {
    await Promise.race([sleep(ms, undefined, { ref: false }), this.closed]);
    this.stillThere();
  }

  end(): void {
    this.res.end();
  }

  /** Cuts the stream after a failure: the client sees it end without its last line, never a false one. */
  abort(): void {
    this.res.destroy();
  }

  private stillThere(): void {
    if (this.gone || this.res.destroyed) throw new ClientGoneError();
  }
}
