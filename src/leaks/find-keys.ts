// Finds Portcullis credentials in text: the published pattern of each prefix (keys/format.ts
// `keyRegex`), then the checksum, so random text of the right shape is not reported (a match passes
// the CRC-32 check by chance about once in 56.8 billion, 62^6).
import { hashKey, isWellFormedKey, keyRegex, maskKey } from '../keys/format.js';

export type CredentialKind = 'api-key' | 'client-secret';

export interface FoundCredential {
  kind: CredentialKind;
  /** 1-based line and column (in UTF-16 code units) of the first character. */
  line: number;
  column: number;
  /** The credential itself: callers print `masked` and pass this only to the admin API. */
  value: string;
  masked: string;
  /** SHA-256, hex: what `POST /admin/v1/keys/leaked` takes as `hashes`. */
  hash: string;
}

export interface CredentialPrefixes {
  key: string;
  clientSecret: string;
}

/** The offsets at which lines start, for turning a match's index into line:column. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineOf(starts: readonly number[], index: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid]! <= index) low = mid;
    else high = mid - 1;
  }
  return low;
}

export function findCredentials(text: string, prefixes: CredentialPrefixes): FoundCredential[] {
  const found: FoundCredential[] = [];
  let starts: number[] | undefined;
  const kinds: Array<[CredentialKind, string]> = [
    ['api-key', prefixes.key],
    ['client-secret', prefixes.clientSecret],
  ];
  for (const [kind, prefix] of kinds) {
    if (!text.includes(`${prefix}_`) || (kind === 'client-secret' && prefix === prefixes.key)) continue;
    for (const match of text.matchAll(keyRegex(prefix))) {
      const value = match[0];
      if (!isWellFormedKey(value, prefix)) continue;
      starts ??= lineStarts(text);
      const line = lineOf(starts, match.index);
      found.push({ kind, line: line + 1, column: match.index - starts[line]! + 1, value, masked: maskKey(value, prefix), hash: hashKey(value) });
    }
  }
  return found.sort((a, b) => a.line - b.line || a.column - b.column);
}
