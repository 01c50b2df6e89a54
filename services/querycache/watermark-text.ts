import type { Watermark } from '../readmodels/index.ts';

/** How a watermark is written in Redis: "<transaction id>:<position>", as the cache's scripts compare it. */
export function watermarkText(watermark: Watermark): string {
  return `${watermark.transactionId}:${watermark.position}`;
}

export function parseWatermark(text: string | null): Watermark | undefined {
  const match = text === null ? null : /^(\d+):(\d+)$/.exec(text);
  if (!match?.[1] || !match[2]) return undefined;
  return { transactionId: match[1], position: Number(match[2]) };
}
