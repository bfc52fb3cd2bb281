// Request ids in the `req_…` form of src/lib/ids (8 base62 time characters + 14 more), made without
// a CSPRNG call per request: a random per-process part and a counter. Ids name requests in logs;
// they are not secrets, so unpredictability is not needed — uniqueness and time order are.
import { encodeBase62, randomBase62 } from '../lib/base62.js';

const processPart = randomBase62(6);
let counter = 0;
let lastSecond = -1;
let timePart = '';

export function nextRequestId(now = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    timePart = encodeBase62(now, 8);
  }
  counter = (counter + 1) % 218_340_105_584_896; // 62^8
  return `req_${timePart}${processPart}${encodeBase62(counter, 8)}`;
}
