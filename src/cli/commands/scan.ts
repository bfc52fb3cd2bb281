// `portcullis scan PATH…`: finds Portcullis API keys and client secrets in files and folders, for CI
// and pre-commit hooks. Inside a git work tree, files git ignores are skipped (git itself decides:
// `git ls-files --cached --others --exclude-standard`, so every .gitignore, .git/info/exclude and
// core.excludesFile rule counts); binaries (a NUL byte in the first 8000 bytes, git's own test) are
// skipped too, unless --all. Keys are printed masked, never whole. Exit 1 when a key is found (with
// --verify: a live one), 0 when none, 2 on a usage error.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { type Command, CommanderError, Option } from 'commander';
import type { AdminSchemas } from '../../admin-client/operations.js';
import { ConfigError } from '../../config/load.js';
import { type CredentialPrefixes, type FoundCredential, findCredentials } from '../../leaks/find-keys.js';
import { type CliContext, CliError, loadCliConfig } from '../context.js';
import { type Common, withConnection } from '../options.js';
import { printJson } from '../output.js';
import { connect } from '../transport.js';

/** Files larger than this are skipped unless --all: a credential sits in config and source files. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;
const SNIFF_BYTES = 8000;
const USAGE = 2;

interface ScanOptions extends Common {
  verify?: boolean;
  all?: boolean;
}

interface Finding extends Omit<FoundCredential, 'value'> {
  file: string;
  /** With --verify: the admin API's verify code (API keys only; client secrets cannot be checked there). */
  code?: string;
  live?: boolean;
}

interface Walk {
  files: string[];
  skipped: { binary: number; large: number; unreadable: number };
}

/** The files git would not ignore under `dir` (tracked or untracked), or undefined outside a work tree. */
function gitVisibleFiles(dir: string): string[] | undefined {
  const inside = spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: dir, encoding: 'utf8' });
  if (inside.status !== 0 || inside.stdout.trim() !== 'true') return undefined;
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', '.'], {
    cwd: dir,
    encoding: 'buffer',
    maxBuffer: 1024 * 1024 * 1024,
  });
  if (listed.status !== 0) return undefined;
  return [
    ...new Set(
      listed.stdout
        .toString('utf8')
        .split('\0')
        .filter(Boolean)
        .map((file) => join(dir, file)),
    ),
  ];
}

/** Every file under `dir`, `.git` folders left out; symbolic links are not followed. */
function allFiles(dir: string, into: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== '.git') allFiles(path, into);
    } else if (entry.isFile()) into.push(path);
  }
  return into;
}

function isBinary(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const read = readSync(fd, buffer, 0, SNIFF_BYTES, 0);
    return buffer.subarray(0, read).includes(0);
  } finally {
    closeSync(fd);
  }
}

function collect(paths: readonly string[], cwd: string, all: boolean): Walk {
  const walk: Walk = { files: [], skipped: { binary: 0, large: 0, unreadable: 0 } };
  const candidates: string[] = [];
  for (const given of paths) {
    const path = resolve(cwd, given);
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(path);
    } catch {
      throw new CliError(`no such file or folder: ${given}`);
    }
    // A file named on the command line is scanned even if git ignores it: it was asked for.
    if (stat.isFile()) candidates.push(path);
    else if (stat.isDirectory()) candidates.push(...((all ? undefined : gitVisibleFiles(path)) ?? allFiles(path)));
  }
  for (const path of new Set(candidates)) {
    try {
      const stat = statSync(path);
      if (!stat.isFile()) continue; // listed by git but deleted, or a submodule
      if (!all && stat.size > MAX_FILE_BYTES) walk.skipped.large++;
      else if (!all && isBinary(path)) walk.skipped.binary++;
      else walk.files.push(path);
    } catch {
      walk.skipped.unreadable++;
    }
  }
  return walk;
}

/** The prefixes to look for: the config's (./portcullis.yaml or --config), else the defaults. */
function prefixesOf(ctx: CliContext, configPath: string | undefined): CredentialPrefixes {
  const { config } = loadCliConfig(ctx, configPath);
  return { key: config.keys.prefix, clientSecret: config.oauth.clientSecretPrefix };
}

/** Verify codes of a key that exists and may be used (a quota or rate limit ends, a scope is a request's). */
const LIVE_CODES = new Set(['VALID', 'INSUFFICIENT_SCOPE', 'RATE_LIMITED', 'QUOTA_EXCEEDED']);

async function verifyAll(ctx: CliContext, o: ScanOptions, found: Array<FoundCredential & { file: string }>): Promise<Map<string, string>> {
  const codes = new Map<string, string>();
  const keys = [...new Map(found.filter((f) => f.kind === 'api-key').map((f) => [f.hash, f.value])).entries()];
  if (keys.length === 0) return codes;
  const transport = await connect(ctx, o, { access: 'read' });
  try {
    for (const [hash, key] of keys) {
      const response = await transport.request('POST', '/admin/v1/keys/verify', { key });
      if (response.status >= 400) {
        const p = (response.body ?? {}) as Partial<AdminSchemas['Problem']>;
        throw new CliError(`--verify: ${p.detail ?? p.title ?? `HTTP ${response.status}`} [${p.code ?? response.status}]`);
      }
      codes.set(hash, (response.body as AdminSchemas['VerifyResponse']).code);
    }
  } finally {
    await transport.close();
  }
  return codes;
}

async function scan(ctx: CliContext, paths: string[], o: ScanOptions): Promise<void> {
  const prefixes = prefixesOf(ctx, o.config);
  const walk = collect(paths, ctx.cwd, o.all === true);
  const found: Array<FoundCredential & { file: string }> = [];
  for (const path of walk.files) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      walk.skipped.unreadable++;
      continue;
    }
    for (const credential of findCredentials(text, prefixes)) found.push({ ...credential, file: relative(ctx.cwd, path) || path });
  }
  const codes = o.verify ? await verifyAll(ctx, o, found) : undefined;
  const findings: Finding[] = found.map(({ value: _value, ...rest }) => {
    const code = codes?.get(rest.hash);
    return code === undefined ? rest : { ...rest, code, live: LIVE_CODES.has(code) };
  });

  if (o.json) {
    printJson(ctx.stdout, { findings, scanned: walk.files.length, skipped: walk.skipped });
  } else {
    for (const f of findings) {
      const verdict =
        f.code === undefined ? (o.verify && f.kind === 'client-secret' ? '  (not checked)' : '') : `  ${f.live ? 'LIVE' : 'not live'} (${f.code})`;
      ctx.stdout.write(`${f.file}:${f.line}:${f.column}  ${f.kind}  ${f.masked}${verdict}\n`);
    }
    const skipped = walk.skipped.binary + walk.skipped.large + walk.skipped.unreadable;
    ctx.stderr.write(
      `${findings.length} credential${findings.length === 1 ? '' : 's'} found in ${walk.files.length} file${walk.files.length === 1 ? '' : 's'}` +
        `${skipped > 0 ? ` (${walk.skipped.binary} binary, ${walk.skipped.large} over 16 MiB, ${walk.skipped.unreadable} unreadable skipped; --all to include)` : ''}\n`,
    );
  }
  const failing = o.verify ? findings.some((f) => f.live === true || (f.kind === 'client-secret' && f.code === undefined)) : findings.length > 0;
  ctx.exitCode = failing ? 1 : 0;
}

export function addScan(program: Command, ctx: CliContext): void {
  withConnection(program.command('scan'))
    .description('find Portcullis keys and client secrets in files and folders (exit 1 when one is found)')
    .argument('<path...>', 'files and folders to scan')
    .addOption(new Option('--verify', 'ask the admin API which keys are live; exit 1 only for live keys (and client secrets, which it cannot check)'))
    .addOption(new Option('--all', 'include git-ignored files, binaries and files over 16 MiB'))
    // Usage errors exit 2, so that CI can tell them from a found key (1).
    .exitOverride((error) => {
      throw error.exitCode === 0 ? error : new CommanderError(USAGE, error.code, error.message);
    })
    .action(async (paths: string[], o: ScanOptions) => {
      try {
        await scan(ctx, paths, o);
      } catch (error) {
        if (!(error instanceof CliError || error instanceof ConfigError)) throw error;
        ctx.stderr.write(`portcullis scan: ${(error as Error).message}\n`);
        ctx.exitCode = USAGE;
      }
    });
}
