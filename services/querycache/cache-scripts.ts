import type { ClientContext, Result } from 'ioredis';

/**
 * Watermarks travel as "<transaction id>:<position>" and compare in the tenant's
 * commit order. Transaction ids are decimal without leading zeros, so a longer
 * one is larger; positions stay below 2^53, exact as Lua numbers.
 */
const NEWER = `
local function split(mark)
  local colon = string.find(mark, ':', 1, true)
  return string.sub(mark, 1, colon - 1), tonumber(string.sub(mark, colon + 1))
end
local function newer(a, b)
  local ax, ap = split(a)
  local bx, bp = split(b)
  if #ax ~= #bx then return #ax > #bx end
  if ax ~= bx then return ax > bx end
  return ap > bp
end
local function raise(key, mark, ttl)
  local current = redis.call('GET', key)
  if not current or newer(mark, current) then
    redis.call('SET', key, mark, 'EX', ttl)
  else
    redis.call('EXPIRE', key, ttl)
  end
end
`;

/**
 * Moves a tenant's generations of its read models forward, never back:
 * replicas and gateways may report out of order. One call per tenant (its keys
 * share a slot), whatever the number of its read models a round touched.
 *
 * KEYS     the generations
 * ARGV     generation ttl (s), then the watermark of each key, in KEYS' order
 */
export const RAISE_GENERATIONS_SCRIPT = `${NEWER}
for i, key in ipairs(KEYS) do
  raise(key, ARGV[i + 1], ARGV[1])
end
return #KEYS
`;

/**
 * Stores an answer read at a watermark, and raises the generation to it: what
 * the read model showed is at least that new. An answer read at an older
 * watermark than the one stored for the same query leaves the stored one.
 *
 * KEYS[1]  the generation, KEYS[2] the answer
 * ARGV     watermark, "<watermark>|<answer json>", answer ttl (s), generation ttl (s)
 */
export const STORE_ANSWER_SCRIPT = `${NEWER}
raise(KEYS[1], ARGV[1], ARGV[4])
local stored = redis.call('GET', KEYS[2])
if stored then
  local bar = string.find(stored, '|', 1, true)
  if bar and newer(string.sub(stored, 1, bar - 1), ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
return 1
`;

export const RAISE_GENERATIONS_COMMAND = 'eventlineRaiseGenerations';
export const STORE_ANSWER_COMMAND = 'eventlineStoreAnswer';

export interface CacheCommands<Context extends ClientContext = { type: 'default' }> {
  /** How many keys, then the keys, the ttl (s) and a watermark per key. */
  [RAISE_GENERATIONS_COMMAND](
    numberOfKeys: number,
    ...keysTtlAndMarks: (string | number)[]
  ): Result<number, Context>;
  [STORE_ANSWER_COMMAND](
    generation: string,
    answer: string,
    watermark: string,
    value: string,
    ttlSeconds: number,
    generationTtlSeconds: number,
  ): Result<number, Context>;
}
