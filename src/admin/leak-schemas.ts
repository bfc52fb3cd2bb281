// The admin API's schemas for leaked keys: another scanner's report (GitGuardian, TruffleHog, a
// customer) as plaintext keys or their SHA-256 hashes, and what the report did to each.
import { Type } from '@sinclair/typebox';

export const LEAK_REPORT_MAX_ITEMS = 1000;

export const LeakReport = Type.Object(
  {
    keys: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 1000 }), {
        maxItems: LEAK_REPORT_MAX_ITEMS,
        description: 'Plaintext keys as found; a key not in our format is reported as not well-formed and never looked up',
      }),
    ),
    hashes: Type.Optional(
      Type.Array(Type.String({ pattern: '^[0-9a-f]{64}$' }), { maxItems: LEAK_REPORT_MAX_ITEMS, description: 'SHA-256 of each key, lowercase hex' }),
    ),
    source: Type.String({ minLength: 1, maxLength: 100, pattern: '^[\\x20-\\x7e]+$', description: 'Who found the leak: gitguardian, trufflehog, a customer…' }),
    url: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'Where the keys were seen' })),
  },
  { $id: 'LeakReport', additionalProperties: false, description: 'Keys, hashes or both: at most 1000 items in all (none: an empty answer)' },
);

const LeakedKeyItem = Type.Object({
  input: Type.Union([Type.Literal('key'), Type.Literal('hash')], { description: 'Which list the item came from' }),
  index: Type.Integer({ minimum: 0, description: 'Its position in that list' }),
  hash: Type.Optional(Type.String({ description: 'SHA-256 of the key (for a plaintext key: only when well-formed)' })),
  wellFormed: Type.Boolean({ description: 'Prefix and checksum match (always true for a hash)' }),
  found: Type.Boolean(),
  keyId: Type.Optional(Type.String()),
  consumerId: Type.Optional(Type.String()),
  masked: Type.Optional(Type.String()),
  state: Type.Optional(
    Type.Union(
      ['live', 'disabled', 'expired', 'revoked'].map((s) => Type.Literal(s)),
      { description: 'The key’s state when the report arrived' },
    ),
  ),
  policyApplied: Type.Union(
    ['revoke', 'disable', 'notify', 'none'].map((s) => Type.Literal(s)),
    {
      description: 'What the report did: the configured leaks.policy, or none (not found, or revoked already)',
    },
  ),
});

export const LeakReportResult = Type.Object(
  {
    policy: Type.Union(['revoke', 'disable', 'notify'].map((s) => Type.Literal(s))),
    items: Type.Array(LeakedKeyItem),
  },
  { $id: 'LeakReportResult' },
);
