// The shape of portcullis.yaml, with defaults. Validated at boot; errors name the field path.
import { Type, type Static } from '@sinclair/typebox';
import { DURATION_PATTERN } from '../lib/duration.js';
import { PREFIX_PATTERN } from '../keys/format.js';
import { DEFAULT_STORE } from '../store/open.js';

const Duration = (defaultValue: string) =>
  Type.Union([Type.String({ pattern: DURATION_PATTERN }), Type.Number({ minimum: 0 })], { default: defaultValue });

const Port = (defaultValue: number) => Type.Integer({ minimum: 0, maximum: 65535, default: defaultValue });

export const ConfigSchema = Type.Object(
  {
    listen: Type.Object(
      { host: Type.String({ default: '0.0.0.0' }), port: Port(8080) },
      { default: {}, additionalProperties: false },
    ),
    admin: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        port: Port(8081),
        bodyLimit: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 1024 * 1024 }),
      },
      { default: {}, additionalProperties: false },
    ),
    store: Type.String({ default: DEFAULT_STORE, pattern: '^(sqlite:.+|postgres(ql)?://.+)$' }),
    redis: Type.Optional(Type.String({ pattern: '^rediss?://.+' })),
    issuer: Type.Optional(Type.String({ pattern: '^https?://.+' })),
    keys: Type.Object(
      {
        prefix: Type.String({ pattern: PREFIX_PATTERN, default: 'pcl' }),
        cache: Type.Object(
          {
            maxEntries: Type.Integer({ minimum: 0, default: 100_000 }),
            ttl: Duration('30s'),
            negativeTtl: Duration('2s'),
          },
          { default: {}, additionalProperties: false },
        ),
        lastUsedFlushInterval: Duration('10s'),
      },
      { default: {}, additionalProperties: false },
    ),
    log: Type.Object(
      {
        level: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
          { default: 'info' },
        ),
      },
      { default: {}, additionalProperties: false },
    ),
    // The gateway (next milestone) gives `apis` and `trustedIssuers` their full schema; until then
    // their entries are accepted as they are so a config written for it still starts.
    apis: Type.Array(
      Type.Object({ name: Type.String({ minLength: 1 }), basePath: Type.String({ pattern: '^/' }) }, { additionalProperties: true }),
      { default: [] },
    ),
    trustedIssuers: Type.Array(Type.Object({}, { additionalProperties: true }), { default: [] }),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
