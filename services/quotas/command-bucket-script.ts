/**
 * The token-bucket rule of token-bucket.ts as a Lua function, run inside Redis
 * so that a read, refill and take are one atomic step for every gateway replica.
 *
 * take_tokens(key, capacity, refill per ms, cost, ttl in ms) on a hash {tokens, ts}
 * returns  {allowed (1|0), retry after in ms, whole tokens remaining}
 *
 * Time comes from Redis (TIME), not the callers, so replicas with drifting
 * clocks still agree. Redis ≥ 5 replicates a script by its effects, which is
 * what makes TIME before a write allowed.
 */
export const TAKE_TOKENS_FUNCTION = `
local function take_tokens(key, capacity, rate, cost, ttl)
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
  local state = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(state[1])
  local ts = tonumber(state[2])
  if tokens == nil or ts == nil then
    tokens = capacity
  else
    tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
  end
  local allowed = 0
  local retry = 0
  if tokens >= cost then
    tokens = tokens - cost
    allowed = 1
  else
    retry = math.ceil((cost - tokens) / rate)
  end
  redis.call('HSET', key, 'tokens', tokens, 'ts', now)
  redis.call('PEXPIRE', key, ttl)
  return { allowed, retry, math.floor(tokens) }
end
`;
