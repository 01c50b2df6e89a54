/**
 * Reserves events against a tenant's count for one UTC day, all or nothing, in
 * one atomic step for every gateway replica; a refused batch counts nothing.
 *
 * record_events(key, events, limit per day, expiry in ms since the epoch)
 * returns  {allowed (1|0), events counted today once this call is done}
 */
export const RECORD_EVENTS_FUNCTION = `
local function record_events(key, events, limit, expire_at)
  local used = tonumber(redis.call('GET', key) or '0')
  if used + events > limit then
    return { 0, used }
  end
  used = redis.call('INCRBY', key, events)
  redis.call('PEXPIREAT', key, expire_at)
  return { 1, used }
end
`;

/**
 * KEYS[1]  the tenant's counter for the day
 * ARGV     events, limit per day, expiry (ms since the epoch)
 */
export const DAILY_EVENT_SCRIPT = `${RECORD_EVENTS_FUNCTION}
return record_events(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3])
`;

export const DAILY_EVENT_COMMAND = 'eventlineRecordDailyEvents';

/**
 * Gives back events reserved today that were not stored after all. A missing
 * key (expired, or never written) stays missing, so no key is left without its expiry.
 *
 * KEYS[1]  the tenant's counter for the day
 * ARGV     events
 * returns  events counted today once this call is done
 */
export const RELEASE_DAILY_EVENT_SCRIPT = `
local used = redis.call('GET', KEYS[1])
if not used then
  return 0
end
local left = math.max(0, tonumber(used) - tonumber(ARGV[1]))
redis.call('SET', KEYS[1], left, 'KEEPTTL')
return left
`;

export const RELEASE_DAILY_EVENT_COMMAND = 'eventlineReleaseDailyEvents';

export interface DailyEventCommand {
  [DAILY_EVENT_COMMAND](
    key: string,
    events: number,
    limitPerDay: number,
    expireAtMs: number,
  ): Promise<[allowed: number, used: number]>;
  [RELEASE_DAILY_EVENT_COMMAND](key: string, events: number): Promise<number>;
}
