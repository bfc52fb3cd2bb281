// The portal's JSON API client: same-origin cookie session, the CSRF token from the last session answer on
// every state-changing call, RFC 9457 problems turned into ApiError with the server's `detail`.

import { base } from './router.js';

export interface Portal {
  title: string;
  logoUrl: string | null;
  primaryColor: string | null;
  signup: 'invite' | 'open' | 'domains';
  issuer: string;
  tokenUrl: string;
  gatewayUrl: string;
}

export interface Membership {
  consumerId: string;
  consumerName: string;
  role: 'owner' | 'developer';
}

export interface Session {
  user: { id: string; email: string; role: 'operator' | null };
  membership: Membership | null;
  csrfToken: string;
}

export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fieldErrors: FieldError[] = [],
  ) {
    super(message);
  }
}

let csrfToken = '';
let onSessionLost: () => void = () => {};

/** Remembers the CSRF token of a session answer and hands the answer back. */
export function adoptSession(session: Session): Session {
  csrfToken = session.csrfToken;
  return session;
}

export function forgetSession(): void {
  csrfToken = '';
}

/** Called when an answer says the session ended (401 SESSION_REQUIRED). */
export function whenSessionLost(callback: () => void): void {
  onSessionLost = callback;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
export type Query = Record<string, string | number | undefined | null>;

export function apiUrl(path: string, query?: Query): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  }
  const qs = search.toString();
  return `${base}/api/v1/${path}${qs ? `?${qs}` : ''}`;
}

export async function request<T>(method: Method, path: string, body?: unknown, query?: Query): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(apiUrl(path, query), {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The portal cannot be reached. Check your connection and try again.');
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (response.ok) return json as T;
  const problem = (json ?? {}) as { code?: string; detail?: string; title?: string; errors?: FieldError[] };
  const error = new ApiError(
    response.status,
    problem.code ?? `HTTP_${response.status}`,
    problem.detail ?? problem.title ?? `The request failed (${response.status}).`,
    Array.isArray(problem.errors) ? problem.errors : [],
  );
  if (response.status === 401 && error.code === 'SESSION_REQUIRED' && path !== 'me') onSessionLost();
  throw error;
}

export const get = <T>(path: string, query?: Query) => request<T>('GET', path, undefined, query);
export const post = <T>(path: string, body: unknown = {}) => request<T>('POST', path, body);
export const patch = <T>(path: string, body: unknown) => request<T>('PATCH', path, body);
export const del = <T>(path: string) => request<T>('DELETE', path);

/** A list answer: the admin API's `{ items, nextCursor }`, tolerant of `{ data }` and of a bare array. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
export function pageOf<T>(answer: unknown): Page<T> {
  if (Array.isArray(answer)) return { items: answer as T[], nextCursor: null };
  const a = (answer ?? {}) as { items?: T[]; data?: T[]; nextCursor?: string | null };
  return { items: a.items ?? a.data ?? [], nextCursor: a.nextCursor ?? null };
}
