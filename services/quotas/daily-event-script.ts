/**
 * Reserves events against a tenant's count for one UTC day, all or nothing, in
 * one atomic step for every gateway replica; a refused batch counts nothing.
 *
 * KEYS[1]  the tenant's counter for the day
 * ARGV     events, limit per day, expiry (ms since the epoch)
 * returns  {allowed (1|0), events counted today once this call is done}
 */
export const DAILY_EVENT_SCRIPT = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local events = tonumber(ARGV[1])
if used + events > tonumber(ARGV[2]) then
  return { 0, used }
end
used = redis.call('INCRBY', KEYS[1], events)
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return { 1, used }
`;

export const DAILY_EVENT_COMMAND = 'eventlineRecordDailyEvents';

export interface DailyEventCommand {
  [DAILY_EVENT_COMMAND](
    key: string,
    events: number,
    limitPerDay: number,
    expireAtMs: number,
  ): Promise<[allowed: number, used: number]>;
}
