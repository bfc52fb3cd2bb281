// Every TypeScript and JavaScript block in README.md and docs/*.md compiles as written in a user's
// project: `portcullis` resolved through package.json `exports` to the built .d.ts (a symlink in a
// temp node_modules), `strict`, once with `moduleResolution: NodeNext` and once with `Bundler`.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const LANGUAGES: Record<string, 'ts' | 'mjs'> = { ts: 'ts', typescript: 'ts', js: 'mjs', javascript: 'mjs', mjs: 'mjs' };

interface Snippet {
  /** `README.md:216`: where the block's fence is. */
  origin: string;
  extension: 'ts' | 'mjs';
  code: string;
}

function snippetsOf(path: string): Snippet[] {
  const text = readFileSync(join(ROOT, path), 'utf8');
  const found: Snippet[] = [];
  for (const match of text.matchAll(/^```(\w+)[^\n]*\n([\s\S]*?)^```/gm)) {
    const extension = LANGUAGES[match[1]!.toLowerCase()];
    if (!extension) continue;
    const line = text.slice(0, match.index).split('\n').length;
    found.push({ origin: `${path}:${line}`, extension, code: match[2]! });
  }
  return found;
}

const documents = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const snippets = documents.flatMap(snippetsOf);

const COMMON: ts.CompilerOptions = {
  strict: true,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts'],
  types: ['node'],
  noEmit: true,
  allowJs: true,
  checkJs: true,
  skipLibCheck: false,
};
const SETTINGS: Record<string, ts.CompilerOptions> = {
  NodeNext: { ...COMMON, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext },
  Bundler: { ...COMMON, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler },
};

describe('README and docs snippets type-check', () => {
  let project: string;
  const files = new Map<string, string>();

  before(() => {
    project = mkdtempSync(join(tmpdir(), 'portcullis-snippets-'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'snippets', private: true, type: 'module' }));
    // The user's node_modules: this package under its name, and the frameworks and types it installed.
    const modules = join(project, 'node_modules');
    mkdirSync(modules);
    for (const name of readdirSync(join(ROOT, 'node_modules'))) {
      if (name !== 'portcullis' && !name.startsWith('.')) symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
    }
    symlinkSync(ROOT, join(modules, 'portcullis'), 'dir');
    snippets.forEach((snippet, i) => {
      const file = join(project, `${snippet.origin.replace(/[^A-Za-z0-9]+/g, '-')}-${i}.${snippet.extension}`);
      writeFileSync(file, snippet.code);
      files.set(file, snippet.origin);
    });
  });
  after(() => rmSync(project, { recursive: true, force: true }));

  it('finds the library and client snippets', () => {
    const importing = snippets.filter((s) => /from '(portcullis|portcullis\/[a-z]+)'/.test(s.code));
    assert.ok(
      importing.some((s) => s.origin.startsWith('README.md')),
      'README.md has library snippets',
    );
    for (const entry of ['portcullis', 'portcullis/fastify', 'portcullis/express', 'portcullis/hono', 'portcullis/client']) {
      assert.ok(
        importing.some((s) => s.code.includes(`from '${entry}'`)),
        `a snippet imports ${entry}`,
      );
    }
  });

  // One parse of each file for both settings (the declarations of node, the frameworks and ours are
  // most of the parsing): the source files are kept between the two programs.
  const parsed = new Map<string, ts.SourceFile | undefined>();
  const host = ts.createCompilerHost(COMMON);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    const key = `${fileName}\0${typeof languageVersion === 'object' ? JSON.stringify(languageVersion) : languageVersion}`;
    if (!parsed.has(key)) parsed.set(key, getSourceFile(fileName, languageVersion, ...rest));
    return parsed.get(key);
  };

  for (const [name, options] of Object.entries(SETTINGS)) {
    it(`strict, moduleResolution ${name}`, () => {
      const program = ts.createProgram([...files.keys()], options, host);
      // Our snippets and our own .d.ts; other packages' declarations are theirs to keep.
      const ours = (file: ts.SourceFile | undefined) => !file || files.has(file.fileName) || !relative(join(ROOT, 'dist'), file.fileName).startsWith('..');
      // getPreEmitDiagnostics less the files not ours: checking every other package's declarations
      // (skipLibCheck is off for ours) took most of this file's 20 s of CPU, to throw the result away.
      const checked = program.getSourceFiles().filter(ours);
      const problems = [
        ...program.getConfigFileParsingDiagnostics(),
        ...program.getOptionsDiagnostics(),
        ...program.getGlobalDiagnostics(),
        ...checked.flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]),
      ].filter((d) => ours(d.file));
      const text = problems.map((d) => {
        const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
        if (!d.file || d.start === undefined) return message;
        const { line } = d.file.getLineAndCharacterOfPosition(d.start);
        const origin = files.get(d.file.fileName);
        return origin ? `${origin} (+${line + 1}): ${message}` : `${relative(ROOT, d.file.fileName)}:${line + 1}: ${message}`;
      });
      assert.deepEqual(text, []);
    });
  }
});
