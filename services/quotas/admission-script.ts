import { TAKE_TOKENS_FUNCTION } from './command-bucket-script.ts';
import { RECORD_EVENTS_FUNCTION } from './daily-event-script.ts';

/**
 * A command's token and the events it will probably append, in one round trip
 * (profiled: the two quota checks were two Redis round trips per command). The
 * token is taken exactly as the bucket script takes it; only when it is granted
 * are the events reserved, and when they do not fit the day's count nothing is
 * reserved and nothing refused: the exact count is asked for once it is known.
 *
 * KEYS[1]  the tenant's bucket     KEYS[2]  the tenant's counter for the day
 * ARGV     capacity, refill per ms, cost, ttl in ms, events, limit per day, expiry (ms since the epoch)
 * returns  {allowed (1|0), retry after in ms, whole tokens remaining, events reserved}
 */
export const ADMISSION_SCRIPT = `${TAKE_TOKENS_FUNCTION}${RECORD_EVENTS_FUNCTION}
local taken = take_tokens(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4])
local events = tonumber(ARGV[5])
local reserved = 0
if taken[1] == 1 and record_events(KEYS[2], events, tonumber(ARGV[6]), ARGV[7])[1] == 1 then
  reserved = events
end
return { taken[1], taken[2], taken[3], reserved }
`;

export const ADMISSION_COMMAND = 'eventlineAdmitCommand';

export interface AdmissionCommand {
  [ADMISSION_COMMAND](
    bucketKey: string,
    dayKey: string,
    capacity: number,
    refillPerMs: number,
    cost: number,
    ttlMs: number,
    events: number,
    limitPerDay: number,
    expireAtMs: number,
  ): Promise<[allowed: number, retryAfterMs: number, remaining: number, reserved: number]>;
}
