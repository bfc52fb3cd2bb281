// Prefixed, time-ordered ids (`con_…`, `key_…`): the prefix says what an id names, the
// fixed-width time part makes ids sort by creation, which cursor pagination relies on.
import { encodeBase62, randomBase62 } from './base62.js';

export type IdPrefix = 'con' | 'key' | 'evt' | 'req' | 'cli' | 'sk' | 'sec' | 'usr' | 'mem' | 'msg' | 'whk' | 'att';

export function newId(prefix: IdPrefix, now = Date.now()): string {
  return `${prefix}_${encodeBase62(now, 8)}${randomBase62(14)}`;
}

export function idPattern(prefix: IdPrefix): string {
  return `^${prefix}_[0-9A-Za-z]{22}$`;
}
