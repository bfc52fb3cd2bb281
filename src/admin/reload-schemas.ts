// The answer of a config reload (`POST /admin/v1/reload`, `portcullis reload`, SIGHUP): what changed
// and what waits for a restart. Field names only, never a value (a changed field may hold a secret).
import { type Static, Type } from '@sinclair/typebox';
import type { Actor } from '../audit/log.js';

const Names = Type.Array(Type.String(), { description: 'Names, in config order' });
const Changes = Type.Object(
  { added: Names, removed: Names, changed: Names },
  { additionalProperties: false, description: 'Entries added, removed, and kept with another definition (or, for an API, its OpenAPI document changed)' },
);

export const ReloadOutcome = Type.Object(
  {
    config: Type.String({ description: 'The config file read' }),
    apis: Changes,
    trustedIssuers: Changes,
    logLevel: Type.Object(
      { from: Type.String(), to: Type.String() },
      { additionalProperties: false, description: 'The log level before and after (the same when unchanged)' },
    ),
    restartRequired: Type.Array(Type.String(), {
      description: 'Fields changed in the file that only a restart applies (e.g. `listen.port`, `store`); this node keeps their old values',
    }),
  },
  { $id: 'ReloadOutcome', additionalProperties: false },
);
export type ReloadOutcome = Static<typeof ReloadOutcome>;

/**
 * What the admin API calls to reload: the server start's reload of this process, or a supervisor's of
 * all its workers. A refusal throws a PortcullisError (CONFIG_INVALID, RELOAD_UNAVAILABLE).
 */
export type ReloadRequest = (actor: Actor) => Promise<ReloadOutcome>;
