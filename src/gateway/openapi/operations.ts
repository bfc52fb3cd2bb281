// Matches a request (method + path as the upstream sees it) to an operation of an OpenAPI document.
// Paths compile into a segment tree; literal segments win over templated ones, as the spec asks.
import type { AuthPolicy } from '../auth/policy.js';
import { resolveRef, type OpenApiDocument } from './load.js';
import { policyOfSecurity, type SecurityContext } from './security.js';

export interface Operation {
  method: string;
  /** The path template, e.g. `/orders/{id}`. */
  path: string;
  operationId: string | undefined;
  /** Null when neither the operation nor the document says `security`: the API's `auth` and `scopes` apply. */
  policy: AuthPolicy | null;
}

export type OperationMatch =
  | { kind: 'found'; operation: Operation }
  | { kind: 'not-found' }
  | { kind: 'method-not-allowed'; allow: string };

interface Node {
  literals: Map<string, Node>;
  /** `{id}` or `{name}.json`: tried after literals, most literal text first. */
  templates: Array<{ pattern: RegExp; weight: number; node: Node }>;
  operations: Map<string, Operation> | null;
  allow: string;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function newNode(): Node {
  return { literals: new Map(), templates: [], operations: null, allow: '' };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A templated segment as a regex: each `{param}` matches one or more characters of the segment. */
function segmentPattern(segment: string): { pattern: RegExp; weight: number } {
  const parts = segment.split(/\{[^}]*\}/);
  return { pattern: new RegExp(`^${parts.map(escapeRegex).join('[^/]+?')}$`), weight: parts.join('').length };
}

function splitPath(path: string): string[] {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed === '/' || trimmed === '' ? [] : trimmed.slice(1).split('/');
}

export interface OperationMatcher {
  match(method: string, path: string): OperationMatch;
  readonly operations: readonly Operation[];
}

/** Decodes one path segment for comparison with the document's literal text; null when the encoding is bad. */
function decodeSegment(segment: string): string | null {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

export function compileOperations(document: OpenApiDocument, context: SecurityContext): OperationMatcher {
  const root = newNode();
  const operations: Operation[] = [];
  const paths = (document.paths ?? {}) as Record<string, unknown>;
  for (const [template, rawItem] of Object.entries(paths)) {
    if (!template.startsWith('/')) {
      context.warn(`${context.source}: path ${template} does not start with /; skipped`);
      continue;
    }
    const item = resolveRef<Record<string, any>>(document, rawItem, context.source) ?? {};
    let node = root;
    for (const segment of splitPath(template)) {
      if (segment.includes('{')) {
        const { pattern, weight } = segmentPattern(segment);
        let entry = node.templates.find((t) => t.pattern.source === pattern.source);
        if (!entry) {
          entry = { pattern, weight, node: newNode() };
          node.templates.push(entry);
          node.templates.sort((a, b) => b.weight - a.weight);
        }
        node = entry.node;
      } else {
        let next = node.literals.get(segment);
        if (!next) node.literals.set(segment, (next = newNode()));
        node = next;
      }
    }
    for (const method of METHODS) {
      const raw = item[method];
      if (!raw || typeof raw !== 'object') continue;
      const where = `${context.source}: ${method.toUpperCase()} ${template}`;
      const security = raw.security ?? document.security;
      const operation: Operation = {
        method: method.toUpperCase(),
        path: template,
        operationId: typeof raw.operationId === 'string' ? raw.operationId : undefined,
        policy: security === undefined ? null : policyOfSecurity(security, context, where),
      };
      node.operations ??= new Map();
      node.operations.set(operation.method, operation);
      operations.push(operation);
    }
    if (node.operations) {
      const methods = [...node.operations.keys()];
      if (node.operations.has('GET') && !node.operations.has('HEAD')) methods.push('HEAD');
      node.allow = methods.join(', ');
    }
  }

  function find(node: Node, segments: string[], index: number): Node | undefined {
    if (index === segments.length) return node.operations ? node : undefined;
    const segment = segments[index]!;
    const literal = node.literals.get(segment);
    if (literal) {
      const found = find(literal, segments, index + 1);
      if (found) return found;
    }
    if (segment === '') return undefined;
    for (const template of node.templates) {
      if (!template.pattern.test(segment)) continue;
      const found = find(template.node, segments, index + 1);
      if (found) return found;
    }
    return undefined;
  }

  return {
    operations,
    match(method, path) {
      const segments = splitPath(path);
      for (let i = 0; i < segments.length; i++) {
        const decoded = decodeSegment(segments[i]!);
        if (decoded === null) return { kind: 'not-found' };
        segments[i] = decoded;
      }
      const node = find(root, segments, 0);
      if (!node) return { kind: 'not-found' };
      const operation = node.operations!.get(method) ?? (method === 'HEAD' ? node.operations!.get('GET') : undefined);
      return operation ? { kind: 'found', operation } : { kind: 'method-not-allowed', allow: node.allow };
    },
  };
}
