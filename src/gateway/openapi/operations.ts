// Matches a request (method + path as the upstream sees it) to an operation of an OpenAPI document.
// Paths compile into a segment tree; literal segments win over templated ones, as the spec asks.
// A path some upstream router could read as another operation than the exact match does (a case or
// escape variant of a literal, a trailing slash a router could take as an empty parameter) is
// `ambiguous`: the gateway refuses it rather than authorise one operation and forward to another.
import type { AuthPolicy } from '../../auth/policy.js';
import { type OpenApiDocument, resolveRef } from '../../lib/openapi.js';
import { foldCase } from '../request-path.js';
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
  | { kind: 'method-not-allowed'; allow: string }
  | { kind: 'ambiguous' };

interface Template {
  pattern: RegExp;
  /**
   * The same pattern case-insensitive (Unicode folding) and with empty parameters allowed: what a
   * case-insensitive router matches, or one that reads `.json` as `{name}.json` with an empty name
   * (Fastify does). Null for a bare `{param}`.
   */
  lenient: RegExp | null;
  /** `{param}` alone: a router may match it to an empty segment. */
  bare: boolean;
  weight: number;
  node: Node;
}

interface Node {
  /** By the literal text (a path with a trailing slash ends in the literal ''). */
  literals: Map<string, Node>;
  /** The literals by their folded form (foldCase), null without literals; and the lengths of those folded forms. */
  folded: Map<string, Node[]> | null;
  foldedLengths: Set<number>;
  /** `{id}` or `{name}.json`: tried after literals, most literal text first. */
  templates: Template[];
  operations: Map<string, Operation> | null;
  allow: string;
}

const AMBIGUOUS = 'ambiguous' as const;
const FOUND_AMBIGUOUS: OperationMatch = Object.freeze({ kind: 'ambiguous' });
const NOT_FOUND: OperationMatch = Object.freeze({ kind: 'not-found' });

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function newNode(): Node {
  return { literals: new Map(), folded: null, foldedLengths: new Set(), templates: [], operations: null, allow: '' };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A templated segment as a regex: each `{param}` matches one or more characters of the segment. */
function segmentPattern(segment: string): Omit<Template, 'node'> {
  const parts = segment.split(/\{[^}]*\}/);
  const literal = parts.map(escapeRegex);
  const weight = parts.join('').length;
  return {
    pattern: new RegExp(`^${literal.join('[^/]+?')}$`),
    lenient: weight > 0 ? new RegExp(`^${literal.join('[^/]*?')}$`, 'iu') : null,
    bare: weight === 0 && parts.length === 2,
    weight,
  };
}

/** The segments of a path; a trailing slash gives a last segment ''. */
function splitPath(path: string): string[] {
  return path === '/' || path === '' ? [] : path.slice(1).split('/');
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

function addLiteral(node: Node, segment: string): Node {
  let next = node.literals.get(segment);
  if (next) return next;
  next = newNode();
  node.literals.set(segment, next);
  const folded = foldCase(segment);
  node.folded ??= new Map();
  const same = node.folded.get(folded);
  if (same) same.push(next);
  else node.folded.set(folded, [next]);
  node.foldedLengths.add(folded.length);
  return next;
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
    const item = resolveRef<Record<string, unknown>>(document, rawItem, context.source) ?? {};
    let node = root;
    for (const segment of splitPath(template)) {
      if (segment.includes('{')) {
        const compiled = segmentPattern(segment);
        let entry = node.templates.find((t) => t.pattern.source === compiled.pattern.source);
        if (!entry) {
          entry = { ...compiled, node: newNode() };
          node.templates.push(entry);
          node.templates.sort((a, b) => b.weight - a.weight);
        }
        node = entry.node;
      } else {
        node = addLiteral(node, segment);
      }
    }
    for (const method of METHODS) {
      const raw = item[method] as { security?: unknown; operationId?: unknown } | undefined;
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

  /**
   * The node of the operation `segments` (raw, as sent) match, undefined for none, or AMBIGUOUS when
   * a router that folds case or decodes escapes could take them to a literal path they do not spell
   * exactly. Empty segments other than a trailing one are refused before matching (request-path).
   * `sentSlash`: the last '' is a trailing slash the client sent (not one added to look up `/path/`).
   */
  function find(node: Node, segments: readonly string[], index: number, sentSlash: boolean): Node | typeof AMBIGUOUS | undefined {
    if (index === segments.length) return node.operations ? node : undefined;
    const raw = segments[index]!;
    if (raw === '') {
      // A trailing slash: the document's own `/path/` first. Otherwise a router may take it as an
      // empty `{param}` (Fastify does) where another drops it (Express does).
      const spelled = node.literals.get('');
      if (spelled) {
        const found = find(spelled, segments, index + 1, sentSlash);
        if (found) return found;
      }
      if (sentSlash) for (const template of node.templates) if (template.bare && template.node.operations) return AMBIGUOUS;
      return undefined;
    }
    const segment = decodeSegment(raw);
    if (segment === null) return undefined;
    const literal = node.literals.get(segment);
    if (literal) {
      const found = find(literal, segments, index + 1, sentSlash);
      if (found) return found;
    }
    // Only a segment of a literal's folded length (or one that was decoded) can fold to it.
    if (node.folded !== null && (segment !== raw || node.foldedLengths.has(segment.length))) {
      const alike = node.folded.get(foldCase(segment));
      if (alike) {
        for (const other of alike) {
          if (other !== literal && find(other, segments, index + 1, sentSlash)) return AMBIGUOUS;
        }
      }
    }
    for (const template of node.templates) {
      if (template.pattern.test(segment)) {
        const found = find(template.node, segments, index + 1, sentSlash);
        if (found) return found;
      } else if (template.lenient?.test(segment) && find(template.node, segments, index + 1, sentSlash)) {
        return AMBIGUOUS;
      }
    }
    return undefined;
  }

  return {
    operations,
    match(method, path) {
      const segments = splitPath(path);
      const slash = segments.length > 0 && segments[segments.length - 1] === '';
      let node = find(root, segments, 0, slash);
      // Without the document spelling it, `/orders/` is `/orders` (and `/orders` is a documented
      // `/orders/`), as Express and most frameworks take it.
      if (node === undefined && segments.length > 0) node = slash ? find(root, segments.slice(0, -1), 0, false) : find(root, [...segments, ''], 0, false);
      if (node === AMBIGUOUS) return FOUND_AMBIGUOUS;
      if (!node) return NOT_FOUND;
      const operation = node.operations!.get(method) ?? (method === 'HEAD' ? node.operations!.get('GET') : undefined);
      return operation ? { kind: 'found', operation } : { kind: 'method-not-allowed', allow: node.allow };
    },
  };
}
