// Our own issuer as a verification profile: keys come from the signing-key ring (no HTTP), each kid
// bound to the one algorithm it was made for, typ must be at+jwt (RFC 9068 §4).
import type { Clock } from '../lib/clock.js';
import { SIGNING_ALGS } from './config-schema.js';
import type { IssuerProfile } from './jwt/verify-access-token.js';
import type { SigningKeyRing } from './signing-keys/key-ring.js';

export function createLocalProfile(options: {
  issuer: string;
  ring: SigningKeyRing;
  clock: Clock;
  clockToleranceSeconds: number;
  maxTokenTtlSeconds: number;
}): IssuerProfile {
  const { ring, clock } = options;
  return {
    kind: 'local',
    issuer: options.issuer,
    algorithms: SIGNING_ALGS,
    audiences: undefined,
    typ: 'at+jwt',
    clockToleranceSeconds: options.clockToleranceSeconds,
    maxTokenAgeSeconds: options.maxTokenTtlSeconds,
    consumerClaim: 'client_id',
    externalIdPrefix: '',
    async resolveKey(kid) {
      if (kid === undefined) return { status: 'missing' };
      let found = ring.verificationKey(kid, clock.now());
      if (!found) {
        await ring.refreshForUnknownKid(kid);
        found = ring.verificationKey(kid, clock.now());
      }
      return found ? { status: 'found', key: found.key, alg: found.alg, until: found.until } : { status: 'missing' };
    },
    keySet: ring.keySet,
  };
}
