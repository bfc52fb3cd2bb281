// `portcullis restart --rolling`: asks a running node (its admin API, --url) to replace its workers one at a
// time (POST /admin/v1/restart). Locally there is no running node to ask, so --url is required; on the
// node's own machine `kill -USR2 <supervisor pid>` does the same.
import type { Command } from 'commander';
import type { AdminSchemas } from '../../admin-client/operations.js';
import { adminCommand, call, show } from '../admin-call.js';
import { type CliContext, CliError } from '../context.js';
import type { Common } from '../options.js';

export function addRestart(program: Command, ctx: CliContext): void {
  adminCommand(program, 'restart', "replace a running node's workers one at a time (no refused connection)")
    .option('--rolling', 'one worker at a time: each new worker listens before the old one drains (the only kind there is)')
    .action(async (o: Common & { rolling?: boolean }) => {
      if (!o.rolling) throw new CliError('only a rolling restart exists: pass --rolling');
      if (!o.url) throw new CliError("restart asks a running node: pass --url <its admin URL> (or send SIGUSR2 to the node's supervisor)");
      show(ctx, o, await call<AdminSchemas['RestartAccepted']>(ctx, o, 'POST', '/admin/v1/restart'));
    });
}
