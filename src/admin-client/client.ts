// `portcullis/admin`: a typed client for the admin API over fetch. One method per operation
// (operations.ts), a refusal thrown as AdminApiError with the problem JSON; nothing but fetch is
// loaded, so it runs wherever fetch does. The CLI's `--url` mode sends its requests through `request`.
import { ERROR_CODES, type ErrorCode } from '../errors/codes.js';
import { type AdminQueries, type AdminSchemas, adminOperations, type OperationSpec } from './operations.js';

export type AdminErrorCode = ErrorCode;

/** RFC 9457 problem JSON as the admin API sends it. */
export type AdminProblem = AdminSchemas['Problem'] & { requestId?: string };

/** The admin API refused a request (any answer outside 2xx). */
export class AdminApiError extends Error {
  readonly status: number;
  readonly code: AdminErrorCode;
  readonly problem: AdminProblem;

  constructor(status: number, problem: AdminProblem) {
    super(`${problem.detail ?? problem.title} [${problem.code}]`);
    this.name = 'AdminApiError';
    this.status = status;
    this.code = problem.code;
    this.problem = problem;
  }
}

export interface AdminClientOptions {
  /** The admin listener's base URL, e.g. http://127.0.0.1:8081. */
  url: string;
  /** An API key with the portcullis:admin scope. */
  adminKey: string;
  fetch?: typeof fetch;
}

export interface AdminRequestOptions {
  /** Sent as `Idempotency-Key` on a write, so a retry is answered once (docs/errors.md). */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

/** An answer as it came: the status and the parsed JSON body (null when empty). */
export interface AdminResponse {
  status: number;
  body: unknown;
}

type PathArgs<Path extends string> = Path extends `${string}{${string}}${infer Rest}` ? [string, ...PathArgs<Rest>] : [];
type BodyArgs<Name extends keyof AdminSchemas> =
  // biome-ignore lint/complexity/noBannedTypes: `{} extends T` is the test for "every field of T is optional".
  {} extends AdminSchemas[Name] ? [body?: AdminSchemas[Name]] : [body: AdminSchemas[Name]];
type QueryArgs<Op> = Op extends { query: infer Name extends keyof AdminQueries } ? [query?: AdminQueries[Name]] : [];
/** The body (when the operation takes one), then the query (when it takes one). */
type InputArgs<Op> = Op extends { body: infer Name extends keyof AdminSchemas } ? [...BodyArgs<Name>, ...QueryArgs<Op>] : QueryArgs<Op>;
type Answer<Op> = Op extends { response: infer Name extends keyof AdminSchemas } ? AdminSchemas[Name] : undefined;

/** One method per operation: path parameters in path order, then the body and the query (those it takes), then options. */
export type AdminOperations = {
  [Id in keyof typeof adminOperations]: (
    ...args: [...PathArgs<(typeof adminOperations)[Id]['path']>, ...InputArgs<(typeof adminOperations)[Id]>, options?: AdminRequestOptions]
  ) => Promise<Answer<(typeof adminOperations)[Id]>>;
};

export interface AdminClient extends AdminOperations {
  /** Any admin route, untyped; never throws for an HTTP status (only when the server cannot be reached). */
  request(method: string, path: string, options?: AdminRequestOptions & { body?: unknown }): Promise<AdminResponse>;
}

function problemOf(response: AdminResponse): AdminProblem {
  const body = response.body as Partial<AdminProblem> | null;
  if (body && typeof body === 'object' && typeof body.code === 'string' && body.code in ERROR_CODES) return body as AdminProblem;
  // Not Portcullis' problem JSON (a proxy's error page, say): the status is kept, the code is the
  // registry's nearest.
  const code: ErrorCode = response.status >= 500 ? 'INTERNAL' : 'BAD_REQUEST';
  const detail = typeof body?.detail === 'string' ? body.detail : undefined;
  return { type: 'about:blank', title: `HTTP ${response.status}`, status: response.status, code, ...(detail ? { detail } : {}) };
}

function query(values: Record<string, unknown> | undefined): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(values ?? {})) if (value !== undefined) search.append(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export function createAdminClient(options: AdminClientOptions): AdminClient {
  if (!options.url) throw new TypeError('createAdminClient: url is required');
  if (!options.adminKey) throw new TypeError('createAdminClient: adminKey is required');
  const base = options.url.replace(/\/+$/, '');
  const send = options.fetch ?? fetch;
  const authorization = `Bearer ${options.adminKey}`;

  async function request(method: string, path: string, init: AdminRequestOptions & { body?: unknown } = {}): Promise<AdminResponse> {
    const headers: Record<string, string> = { authorization, accept: 'application/json, application/problem+json' };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (init.idempotencyKey !== undefined) headers['idempotency-key'] = init.idempotencyKey;
    const response = await send(base + path, {
      method,
      headers,
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      ...(init.signal ? { signal: init.signal } : {}),
    });
    const text = await response.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = { detail: text.slice(0, 200) };
    }
    return { status: response.status, body };
  }

  const client: Record<string, unknown> = { request };
  for (const [id, operation] of Object.entries(adminOperations) as Array<[string, OperationSpec]>) {
    const names = [...operation.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
    const bodyAt = operation.body !== undefined ? names.length : -1;
    const queryAt = operation.query !== undefined ? names.length + (bodyAt === -1 ? 0 : 1) : -1;
    const optionsAt = names.length + (bodyAt === -1 ? 0 : 1) + (queryAt === -1 ? 0 : 1);
    client[id] = async (...args: unknown[]) => {
      const ids = args.slice(0, names.length);
      const init = (args[optionsAt] ?? {}) as AdminRequestOptions;
      let path = operation.path;
      ids.forEach((value, i) => {
        if (typeof value !== 'string' || value === '') throw new TypeError(`${id}: ${names[i]} must be a non-empty string`);
        path = path.replace(`{${names[i]}}`, encodeURIComponent(value));
      });
      if (queryAt !== -1) path += query(args[queryAt] as Record<string, unknown> | undefined);
      const response = await request(operation.method, path, {
        ...init,
        ...(bodyAt !== -1 ? { body: args[bodyAt] ?? {} } : {}),
      });
      if (response.status < 200 || response.status > 299) throw new AdminApiError(response.status, problemOf(response));
      return operation.response === null ? undefined : response.body;
    };
  }
  return client as unknown as AdminClient;
}
