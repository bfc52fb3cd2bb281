// `portcullis signing-keys …`: the keys that sign access tokens. They need the master key: remotely
// the server has it; locally the app is built as `portcullis start` would build it (in the demo, with
// the demo key file).
import type { Command } from 'commander';
import type { AdminSchemas } from '../../admin-client/operations.js';
import { adminCommand, call, show } from '../admin-call.js';
import type { CliContext } from '../context.js';
import type { Common } from '../options.js';

const SIGNING_KEY_COLUMNS = ['kid', 'alg', 'state', 'activatesAt', 'retiresAt', 'removeAfter'];

export function addSigningKeys(program: Command, ctx: CliContext): void {
  const signingKeys = program.command('signing-keys').description('the keys that sign access tokens');
  adminCommand(signingKeys, 'list', 'list signing keys (public data) and their state').action(async (o: Common) =>
    show(ctx, o, await call<AdminSchemas['SigningKeyList']>(ctx, o, 'GET', '/admin/v1/signing-keys', undefined, { asStart: true }), SIGNING_KEY_COLUMNS),
  );
  adminCommand(signingKeys, 'rotate', 'add a signing key: published now, signing after one JWKS cache period; the current key retires then')
    .option('--immediate', 'a compromised key: sign with the new key now and drop the old ones (their tokens stop working)')
    .action(async (o: Common & { immediate?: boolean }) =>
      show(
        ctx,
        o,
        await call<AdminSchemas['SigningKey']>(ctx, o, 'POST', '/admin/v1/signing-keys/rotate', { immediate: o.immediate === true }, { asStart: true }),
      ),
    );
}
