// One admin request from a command, and how its answer is printed: JSON with --json, else a table,
// a record, or the secret shown once; and the commands that are one request and its answer.
import type { Command } from 'commander';
import type { AdminSchemas } from '../admin-client/operations.js';
import { type CliContext, CliError } from './context.js';
import { type Common, type PageOptions, pageQuery, withConnection, withPaging } from './options.js';
import { printJson, printRecord, printTable } from './output.js';
import { connect, type LocalAccess } from './transport.js';

/** Requests that only read (verifying a key changes nothing a user would see). */
const readsOnly = (method: string, path: string) => method === 'GET' || path === '/admin/v1/keys/verify';

export const enc = encodeURIComponent;

/**
 * Sends one admin request; a problem response becomes a CliError. `T` is the answer's schema
 * (portcullis/admin's `AdminSchemas`), which the admin API's own response schema guarantees.
 */
export async function call<T>(
  ctx: CliContext,
  options: Common,
  method: string,
  path: string,
  body?: unknown,
  local: Pick<LocalAccess, 'asStart'> = {},
): Promise<T> {
  const transport = await connect(ctx, options, { ...local, access: readsOnly(method, path) ? 'read' : 'write' });
  try {
    const response = await transport.request(method, path, body);
    if (response.status >= 400) {
      const p = (response.body ?? {}) as Partial<AdminSchemas['Problem']>;
      const hint = response.status === 401 ? ' (check --admin-key / PORTCULLIS_ADMIN_KEY)' : '';
      throw new CliError(`${p.detail ?? p.title ?? `HTTP ${response.status}`} [${p.code ?? response.status}]${hint}`);
    }
    return response.body as T;
  } finally {
    await transport.close();
  }
}

/** A page as a table (and the cursor of the next), a record as `key  value` lines. */
export function show(ctx: CliContext, options: Common, value: object | null, columns?: readonly string[]): void {
  if (options.json) {
    printJson(ctx.stdout, value);
    return;
  }
  if (value && 'items' in value && Array.isArray(value.items)) {
    const items = value.items as Array<Record<string, unknown>>;
    printTable(ctx.stdout, items, columns ?? Object.keys(items[0] ?? {}));
    if ('nextCursor' in value && value.nextCursor) ctx.stdout.write(`\nmore: --cursor ${String(value.nextCursor)}\n`);
    return;
  }
  if (value && typeof value === 'object') {
    printRecord(ctx.stdout, value as Record<string, unknown>);
    return;
  }
  ctx.stdout.write('done\n');
}

/** A new API key: its record, then the key, shown once. */
export function printIssued(ctx: CliContext, options: Common, issued: AdminSchemas['IssuedKey'] | AdminSchemas['RolledKey']): void {
  if (options.json) {
    printJson(ctx.stdout, issued);
    return;
  }
  const { key, ...rest } = issued;
  const { oldKey, ...record } = rest as typeof rest & { oldKey?: { id: string; expiresAt: string | null } };
  printRecord(ctx.stdout, record);
  if (oldKey) ctx.stdout.write(`\nold key ${oldKey.id} expires at ${oldKey.expiresAt}\n`);
  ctx.stdout.write(`\nKey (shown once, store it now):\n\n  ${key}\n\n`);
}

/** What a delete prints. */
export function printDeleted(ctx: CliContext, options: Common, id: string): void {
  if (options.json) printJson(ctx.stdout, { deleted: id });
  else ctx.stdout.write(`deleted ${id}\n`);
}

interface RequestCommand {
  name: string;
  description: string;
  /** The one argument, e.g. `<keyId>`, if the command takes one. */
  argument?: string;
  method: 'GET' | 'POST';
  /** The admin path, from the argument (encoded here). */
  path: (id: string) => string;
}

/** `<group> <name> [argument]` with the connection options, for a command on the admin API. */
export function adminCommand(group: Command, name: string, description: string, argument?: string): Command {
  const command = withConnection(group.command(name)).description(description);
  return argument ? command.argument(argument) : command;
}

/** A command that sends one request with no body and shows the answer: `keys get <keyId>`, `keys revoke <keyId>`. */
export function addRequestCommand(group: Command, ctx: CliContext, spec: RequestCommand): Command {
  return adminCommand(group, spec.name, spec.description, spec.argument).action(async (...args: unknown[]) => {
    const invoked = args.at(-1) as Command;
    const o = invoked.opts<Common>();
    const [id = ''] = invoked.processedArgs as string[];
    show(ctx, o, await call<object>(ctx, o, spec.method, spec.path(enc(id))));
  });
}

/** A `list` command: a page as a table of `columns`, with --cursor and --limit. */
export function addListCommand(group: Command, ctx: CliContext, spec: Omit<RequestCommand, 'name' | 'method'> & { columns: readonly string[] }): Command {
  return withPaging(adminCommand(group, 'list', spec.description, spec.argument)).action(async (...args: unknown[]) => {
    const invoked = args.at(-1) as Command;
    const o = invoked.opts<Common & PageOptions>();
    const [id = ''] = invoked.processedArgs as string[];
    show(ctx, o, await call<object>(ctx, o, 'GET', `${spec.path(enc(id))}?${pageQuery(o)}`), spec.columns);
  });
}
