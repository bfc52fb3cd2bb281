// The layers of docs/architecture.md, enforced: every import in src/ (static, `import type`,
// `export … from`, dynamic `import()`, `require`) goes to the importer's own layer or one below it;
// an edge never imports another edge; no two modules import each other, even through others or
// for types only; and config reaches no store adapter (reading a store URL loads no database driver).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

/** Lowest first. A module may import its own layer and those before it, never one after it. */
const LAYERS = ['foundation', 'store', 'domain', 'auth', 'composition', 'contracts', 'edges', 'entry'] as const;
type Layer = (typeof LAYERS)[number];

/**
 * Which layer a module is in: the first rule whose path (a file, or a folder ending in `/`) it
 * matches. Within `edges`, each folder (and the OAuth endpoints' HTTP files) is an edge of its own.
 */
const RULES: Array<[path: string, layer: Layer, edge?: string]> = [
  // The store's fault vocabulary imports nothing: problem JSON asks it whether a fault is the store's.
  ['src/store/errors.ts', 'foundation'],
  ['src/lib/', 'foundation'],
  ['src/errors/', 'foundation'],
  ['src/logger.ts', 'foundation'],
  // portcullis/client stands alone.
  ['src/client/', 'foundation'],
  ['src/store/', 'store'],
  // What every auth method implements and every credential resolves to (src/keys and src/oauth implement it).
  ['src/auth/types.ts', 'domain'],
  ['src/auth/admin-credential.ts', 'domain'],
  ['src/auth/freshness.ts', 'domain'],
  ['src/auth/', 'auth'],
  // The OAuth endpoints' HTTP side is an edge; the rest of src/oauth is a domain service.
  ['src/oauth/routes.ts', 'edges', 'oauth'],
  ['src/oauth/token-http.ts', 'edges', 'oauth'],
  // GitHub's secret-scanning endpoint is an edge; the rest of src/leaks (the policy, GitHub's keys) is a domain service.
  ['src/leaks/github-routes.ts', 'edges', 'leaks'],
  ...(
    [
      'keys',
      'consumers',
      'oauth',
      'ratelimit',
      'limits',
      'usage',
      'audit',
      'metrics',
      'cluster',
      'config',
      'members',
      'mail',
      'leaks',
      'imports',
      'hygiene',
      'webhooks',
    ] as const
  ).map((folder): [string, Layer] => [`src/${folder}/`, 'domain']),
  ['src/app.ts', 'composition'],
  ['src/demo/', 'composition'],
  // The admin API's published schemas, which portcullis/admin types its calls with.
  ['src/admin/schemas.ts', 'contracts'],
  ['src/admin/oauth-schemas.ts', 'contracts'],
  ['src/admin/member-schemas.ts', 'contracts'],
  ['src/admin/leak-schemas.ts', 'contracts'],
  ['src/admin/import-schemas.ts', 'contracts'],
  ['src/admin/webhook-schemas.ts', 'contracts'],
  ['src/admin/reload-schemas.ts', 'contracts'],
  ['src/admin/webhook-views.ts', 'contracts'],
  ['src/admin/components.ts', 'contracts'],
  // What the admin API's and the portal's resource routes share: views, actions, request checks.
  ['src/admin/views.ts', 'contracts'],
  ['src/admin/actions.ts', 'contracts'],
  ['src/admin/validation.ts', 'contracts'],
  ['src/admin/schema-compilers.ts', 'contracts'],
  ['src/admin-client/', 'contracts'],
  ['src/gateway/', 'edges', 'gateway'],
  ['src/admin/', 'edges', 'admin'],
  ['src/library/', 'edges', 'library'],
  ['src/portal/', 'edges', 'portal'],
  ['src/server/', 'entry'],
  ['src/cli/', 'entry'],
  ['src/index.ts', 'entry'],
];

/**
 * Imports that break a rule, allowed for now: [importer, imported, why]. Each must still exist;
 * remove it with the import.
 */
const TEMPORARY_EXCEPTIONS: Array<[from: string, to: string, why: string]> = [];

interface Placement {
  layer: Layer;
  edge: string | undefined;
}

function placementOf(file: string): Placement | undefined {
  for (const [path, layer, edge] of RULES) {
    if (path.endsWith('/') ? file.startsWith(path) : file === path) return { layer, edge };
  }
  return undefined;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = posix.join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.c?ts$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every module of ours a file imports, as a path under src/. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map((i) => i.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => posix.normalize(join(dirname(file), name).split('\\').join('/')).replace(/\.(c?)js$/, '.$1ts'));
}

/** The import graph of src/: importer → imported. */
function importGraph(root = 'src'): Map<string, string[]> {
  return new Map(sourceFiles(root).map((file) => [file, importsOf(file)]));
}

/** Each import that breaks a layer rule, as `importer → imported: why`. */
function layerViolations(graph: Map<string, string[]>): string[] {
  const found: string[] = [];
  for (const [from, targets] of graph) {
    const a = placementOf(from)!;
    for (const to of targets) {
      const b = placementOf(to);
      if (!b) continue;
      if (LAYERS.indexOf(b.layer) > LAYERS.indexOf(a.layer)) found.push(`${from} → ${to}: ${a.layer} may not import ${b.layer}`);
      else if (a.edge && b.edge && a.edge !== b.edge) found.push(`${from} → ${to}: the ${a.edge} edge may not import the ${b.edge} edge`);
    }
  }
  return found;
}

/** The store's port: what config (the store URL's default) may reach in src/store; the rest are adapters. */
const STORE_PORT = new Set(
  [
    'types.ts',
    'oauth-types.ts',
    'usage-types.ts',
    'idempotency-types.ts',
    'members-types.ts',
    'imports-types.ts',
    'hygiene-types.ts',
    'webhooks-types.ts',
    'records.ts',
    'errors.ts',
    'dialect.ts',
  ].map((name) => `src/store/${name}`),
);

/** Store adapters (and the modules that load them) reachable from src/config, directly or through other modules. */
function adaptersReachedFromConfig(graph: Map<string, string[]>): string[] {
  const reached = new Set<string>();
  const pending = [...graph.keys()].filter((file) => file.startsWith('src/config/'));
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (reached.has(file)) continue;
    reached.add(file);
    pending.push(...(graph.get(file) ?? []));
  }
  return [...reached].filter((file) => file.startsWith('src/store/') && !STORE_PORT.has(file)).sort();
}

/** Groups of modules that import each other (strongly connected components of more than one module, or a self-import). */
function importCycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

describe('layers', () => {
  const graph = importGraph();

  it('every module of src/ has a layer', () => {
    assert.deepEqual(
      [...graph.keys()].filter((file) => !placementOf(file)),
      [],
    );
  });

  it('no import goes up a layer or from one edge to another', () => {
    const allowed = new Set(TEMPORARY_EXCEPTIONS.map(([from, to]) => `${from} → ${to}`));
    const violations = layerViolations(graph);
    assert.deepEqual(
      violations.filter((v) => !allowed.has(v.slice(0, v.indexOf(':')))),
      [],
    );
    for (const [from, to] of TEMPORARY_EXCEPTIONS) {
      assert.ok(
        violations.some((v) => v.startsWith(`${from} → ${to}:`)),
        `${from} → ${to} is fixed: remove its exception`,
      );
    }
  });

  it('no modules import each other, types included', () => {
    assert.deepEqual(importCycles(graph), []);
  });

  it('config reaches no store adapter, even through other modules', () => {
    assert.deepEqual(adaptersReachedFromConfig(graph), []);
  });

  it('sees every kind of import: type-only, re-exports and dynamic import()', () => {
    // src/library/verifier.ts loads the store adapters with import(); src/store/types.ts re-exports its records.
    assert.ok(graph.get('src/library/verifier.ts')!.includes('src/store/open.ts'));
    assert.ok(graph.get('src/store/types.ts')!.includes('src/store/records.ts'));
    assert.ok(graph.get('src/keys/cache.ts')!.includes('src/keys/verify-result.ts'));
  });

  it('names a rule broken and a cycle in a graph made to break them', () => {
    const broken = new Map([
      ['src/gateway/server.ts', ['src/admin/server.ts']],
      ['src/store/types.ts', ['src/keys/verify.ts']],
      ['src/keys/verify.ts', ['src/keys/cache.ts']],
      ['src/keys/cache.ts', ['src/keys/verify.ts']],
    ]);
    assert.deepEqual(layerViolations(broken), [
      'src/gateway/server.ts → src/admin/server.ts: the gateway edge may not import the admin edge',
      'src/store/types.ts → src/keys/verify.ts: store may not import domain',
    ]);
    assert.deepEqual(importCycles(broken), [['src/keys/cache.ts', 'src/keys/verify.ts']]);
    const configToAdapter = new Map([
      ['src/config/schema.ts', ['src/store/types.ts', 'src/keys/format.ts']],
      ['src/keys/format.ts', ['src/store/open.ts']],
      ['src/store/open.ts', ['src/store/sqlite.ts']],
    ]);
    assert.deepEqual(adaptersReachedFromConfig(configToAdapter), ['src/store/open.ts', 'src/store/sqlite.ts']);
  });
});
