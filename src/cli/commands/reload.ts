// `portcullis reload`: asks the running node to re-read its config file (POST /admin/v1/reload, what
// SIGHUP does), prints what changed; exits 1 when the node refuses the file (it keeps its config).
import type { Command } from 'commander';
import type { AdminSchemas } from '../../admin-client/operations.js';
import { urlOf } from '../../lib/listener-url.js';
import { adminCommand, call } from '../admin-call.js';
import { type CliContext, loadCliConfig } from '../context.js';
import type { Common } from '../options.js';
import { printJson } from '../output.js';

type Outcome = AdminSchemas['ReloadOutcome'];

function changeLines(what: string, changes: Outcome['apis']): string[] {
  return (['added', 'removed', 'changed'] as const).flatMap((kind) => (changes[kind].length > 0 ? [`${what} ${kind}: ${changes[kind].join(', ')}`] : []));
}

export function describeOutcome(outcome: Outcome): string {
  const lines = [
    `reloaded ${outcome.config}`,
    ...changeLines('APIs', outcome.apis),
    ...changeLines('trusted issuers', outcome.trustedIssuers),
    ...(outcome.logLevel.from === outcome.logLevel.to ? [] : [`log level: ${outcome.logLevel.from} → ${outcome.logLevel.to}`]),
    ...(outcome.restartRequired.length > 0 ? [`changed, applied at the next restart only: ${outcome.restartRequired.join(', ')}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

export function addReload(program: Command, ctx: CliContext): void {
  adminCommand(program, 'reload', "re-read the running node's config file (like SIGHUP); without --url, the admin listener the config names").action(
    async (o: Common) => {
      // The node's admin listener as its config names it, when no --url or PORTCULLIS_URL says otherwise.
      const configured = o.url ?? ctx.env.PORTCULLIS_URL;
      const admin = configured ? undefined : loadCliConfig(ctx, o.config).config.admin;
      const url = configured ?? urlOf(admin!.host, admin!.port);
      const outcome = await call<Outcome>(ctx, { ...o, url }, 'POST', '/admin/v1/reload');
      if (o.json) printJson(ctx.stdout, outcome);
      else ctx.stdout.write(describeOutcome(outcome));
    },
  );
}
