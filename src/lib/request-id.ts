// Request ids: the X-Request-Id a client may send along, and ours, in the `req_…` form of src/lib/ids
// (8 base62 time characters + 14 more), made without a CSPRNG call per request: a random
// per-process part and a counter. Ids name requests in logs;
// they are not secrets, so unpredictability is not needed — uniqueness and time order are.
import { BASE62_ALPHABET, encodeBase62, randomBase62 } from './base62.js';

const COUNTER_RANGE = 62 ** 8;
/** The counter's last two base62 digits by value: its other six change once every 3,844 ids. */
const PAIRS = Array.from({ length: 62 * 62 }, (_, i) => BASE62_ALPHABET[Math.floor(i / 62)]! + BASE62_ALPHABET[i % 62]!);

const processPart = randomBase62(6);
let counter = 0;
let lastSecond = -1;
let prefix = '';
let lastHigh = -1;
let highPart = '';

export function nextRequestId(now = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    prefix = `req_${encodeBase62(now, 8)}${processPart}`;
  }
  counter = (counter + 1) % COUNTER_RANGE;
  const high = Math.floor(counter / PAIRS.length);
  if (high !== lastHigh) {
    lastHigh = high;
    highPart = encodeBase62(high, 6);
  }
  return prefix + highPart + PAIRS[counter - high * PAIRS.length]!;
}

const REQUEST_ID = /^[\w.-]{1,100}$/;

/** A client-sent X-Request-Id worth propagating, or undefined. */
export function acceptableRequestId(value: string | undefined): string | undefined {
  return value !== undefined && REQUEST_ID.test(value) ? value : undefined;
}
