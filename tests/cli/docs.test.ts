// Every command line README.md, docs/*.md and the CLI's own hints print runs as printed in a fresh
// clone: `npx portcullis …` (a bare `portcullis` is on nobody's PATH after `npm install`), with
// commands and options the program has; `npm …` lines name scripts package.json has.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { SAMPLE_CONFIG } from '../../src/config/sample.js';
import { startBanner } from '../../src/server/banner.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/stores.js';

const DOCS = [
  'README.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f)),
];

/** The code of a Markdown file: each line of a fenced block, each inline code span (`\|` in tables is `|`). */
function codeOf(markdown: string): string[] {
  const code: string[] = [];
  let prose = '';
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    else if (fenced) code.push(line);
    else prose += `${line}\n`;
  }
  for (const span of prose.matchAll(/`([^`]+)`/g)) code.push(span[1]!.replace(/\s*\n\s*/g, ' ').replace(/\\\|/g, '|'));
  return code;
}

/** Shell commands in a piece of code: each line split at `&&` and `;`, without a `$ ` prompt or `VAR=value` prefixes. */
function shellCommands(code: string): string[] {
  return code
    .split('\n')
    .flatMap((line) => line.split(/&&|;/))
    .map((command) =>
      command
        .trim()
        .replace(/^\$\s+/, '')
        .replace(/^([A-Z_][A-Z0-9_]*=\S*\s+)+/, ''),
    );
}

/** Command lines in Markdown: shell commands that start with `portcullis` or `npx portcullis` and go on. */
function markdownInvocations(markdown: string): string[] {
  return codeOf(markdown)
    .flatMap(shellCommands)
    .filter((command) => /^(npx\s+)?portcullis\s+\S/.test(command));
}

/** Command lines in text the CLI prints: wherever `portcullis <command>` appears, up to a backtick or `)`. */
function printedInvocations(text: string): string[] {
  return [...text.matchAll(/(?:^|[\s`(])((?:npx\s+)?portcullis\s+[a-z-][^`)\n]*)/g)].map((m) => m[1]!.trim());
}

const words = (line: string) => line.match(/'[^']*'|"[^"]*"|\S+/g) ?? [];

const hasOption = (command: Command, name: string) =>
  ['-h', '--help'].includes(name) || command.options.some((option) => option.long === name || option.short === name);

/**
 * What would keep a command line from running: not `npx portcullis`, a command the program lacks, an
 * option the command lacks, or no command at all. Synopsis notation is read: `[--a|--b]`, `create|list`,
 * `…` and `<command>` as placeholders.
 */
function problemsOf(line: string, program: Command): string[] {
  const tokens = words(line.replace(/\s+#.*$/, '').replace(/\\$/, ''));
  if (tokens[0] !== 'npx') return [`${line}: \`portcullis\` is not on the PATH in a fresh clone; write \`npx portcullis …\``];
  const problems: string[] = [];
  let commands = [program];
  let placeholder = false;
  let helpOrVersion = false;
  for (const token of tokens.slice(2)) {
    if (placeholder) break; // `<command>`, `…`: what follows belongs to a command not named
    const alternatives = token.replace(/^\[+|\]+$/g, '').split('|');
    const options = alternatives.filter((a) => a.startsWith('-')).map((a) => a.split('=')[0]!);
    if (options.length > 0) {
      for (const name of options) {
        if (['-h', '--help', '-V', '--version'].includes(name)) helpOrVersion = true;
        if (!commands.some((command) => hasOption(command, name)))
          problems.push(`${line}: \`${commands.map((c) => c.name()).join('|')}\` has no option ${name}`);
      }
      continue;
    }
    if (commands.every((command) => command.commands.length === 0)) continue; // an argument or an option's value
    if (alternatives.some((a) => a === '…' || /^<.+>$/.test(a))) {
      placeholder = true;
      continue;
    }
    const next: Command[] = [];
    for (const name of alternatives) {
      const found = commands.flatMap((command) => command.commands.filter((sub) => sub.name() === name || sub.aliases().includes(name)));
      if (found.length === 0) problems.push(`${line}: \`${commands.map((c) => c.name()).join('|')}\` has no command ${name}`);
      next.push(...found);
    }
    if (next.length === 0) return problems;
    commands = next;
  }
  if (!placeholder && !helpOrVersion && commands.some((command) => command.commands.length > 0)) {
    problems.push(`${line}: names no command of \`${commands.map((c) => c.name()).join('|')}\``);
  }
  return problems;
}

test('the checker refuses lines that would not run and accepts the synopsis notation', () => {
  const program = buildProgram();
  const refused = [
    'portcullis consumers list',
    'npx portcullis consumers lsit',
    'npx portcullis keys create con_… --expires ISO',
    'npx portcullis keys update KEY_ID [--expires-at ISO|--no-expiration]',
    'npx portcullis signing-keys',
  ];
  for (const line of refused) assert.notDeepEqual(problemsOf(line, program), [], line);
  const accepted = [
    'npx portcullis keys update KEY_ID [--name] [--expires-at ISO|--no-expiry] [--enable|--disable]',
    'npx portcullis clients create|list|get|update|delete|rotate-secret|revoke-tokens …',
    'npx portcullis signing-keys list|rotate [--immediate]',
    'npx portcullis <command> [--config FILE] [--json]',
    'npx portcullis consumers create --name acme --metadata \'{"accountId": "acct_42"}\'   # a comment',
    'npx portcullis --version',
  ];
  for (const line of accepted) assert.deepEqual(problemsOf(line, program), [], line);
});

test('every CLI line in README.md and docs/*.md runs as printed: npx portcullis, real commands and options', () => {
  const program = buildProgram();
  let lines = 0;
  const problems: string[] = [];
  for (const file of DOCS) {
    for (const line of markdownInvocations(readFileSync(file, 'utf8'))) {
      lines += 1;
      problems.push(...problemsOf(line, program).map((p) => `${file}: ${p}`));
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(lines >= 30, `the README and docs print ${lines} command lines; the extraction found too few`);
});

test('every npm command in README.md and docs/*.md names a script of package.json; the quick start is two commands', () => {
  const scripts = Object.keys((JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts);
  const builtIn = ['install', 'ci', 'link'];
  for (const file of DOCS) {
    for (const command of codeOf(readFileSync(file, 'utf8')).flatMap(shellCommands)) {
      const npm = /^npm\s+(?:run\s+)?([a-z:-]+)/.exec(command);
      if (!npm) continue;
      assert.ok(builtIn.includes(npm[1]!) || scripts.includes(npm[1]!), `${file}: ${command}: package.json has no script ${npm[1]}`);
    }
  }
  const quickStart = /## Quick start\n[\s\S]*?```sh\n([^\n]*)/.exec(readFileSync('README.md', 'utf8'));
  assert.ok(quickStart, 'README.md has a Quick start with a sh block');
  assert.deepEqual(shellCommands(quickStart[1]!.replace(/\s+#.*$/, '')), ['npm install', 'npm start']);
});

test('the command lines the CLI prints run as printed', async () => {
  const program = buildProgram();
  const tmp = tempDir();
  try {
    const run = (args: string[]) => cli(tmp.dir, args);
    const printed = {
      init: (await run(['init'])).stdout,
      'a missing config file': (await run(['consumers', 'list', '--config', 'missing.yaml'])).stderr,
      'the sample config': SAMPLE_CONFIG,
      'the start banner, later runs of the demo': startBanner({
        gatewayUrl: 'http://127.0.0.1:8080',
        adminUrl: 'http://127.0.0.1:8081',
        configPath: null,
        demo: { consumerId: 'con_0000000000000000000000', key: null, keyId: null },
        firstAdminKey: null,
      }),
      'the start banner, later runs with a config': startBanner({
        gatewayUrl: 'http://127.0.0.1:8080',
        adminUrl: 'http://127.0.0.1:8081',
        configPath: '/srv/portcullis/portcullis.yaml',
        demo: null,
        firstAdminKey: null,
      }),
    };
    for (const [what, text] of Object.entries(printed)) {
      const lines = printedInvocations(text);
      assert.ok(lines.length > 0, `${what} prints a command line: ${text}`);
      for (const line of lines) assert.deepEqual(problemsOf(line, program), [], `${what}: ${line}`);
    }
  } finally {
    tmp.remove();
  }
});
