// Idempotency-Key on admin writes (IETF httpapi draft "The Idempotency-Key HTTP Header Field"): a
// client that got no answer, or a 503, retries with the same key and the write happens at most once.
//
// A write with the header first claims the key in the store, for its admin key (the scope) and a
// fingerprint of the request (method, path, admin key, body). The claim travels with the actor into
// the write's transaction, where recording the audit event marks it committed (audit/log.ts); the
// answer is recorded before it is sent. A retry then gets:
//   - the recorded answer, replayed (`Idempotent-Replayed: true`);
//   - 422 IDEMPOTENCY_KEY_REUSED when the key came with a different request;
//   - 409 IDEMPOTENCY_KEY_IN_USE (with Retry-After) while the first request still holds the key;
//   - 409 IDEMPOTENCY_REPLAY_UNAVAILABLE when the write committed but its answer is not recorded:
//     answers that carry a secret (a new key, a client secret) are never stored, so a retry learns
//     which object was created (`targetType`, `targetId`) and not the secret;
//   - a fresh run when the first attempt committed nothing (a 5xx gives the key back; a claim whose
//     request died is taken over once its lock lapses).
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { App } from '../app.js';
import { PortcullisError } from '../errors/codes.js';
import { isWellFormedKey } from '../keys/format.js';
import { parseDuration } from '../lib/duration.js';
import type { IdempotencyRecord, IdempotentResponse, IdempotentWrite } from '../store/idempotency-types.js';

/** How long a key (and a recorded answer) is kept. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 3_600_000;
/** A claim is in flight for this many store timeouts; after that a retry may take it over. */
const LOCK_STORE_TIMEOUTS = 5;
const MAX_KEY_LENGTH = 255;
/** Larger answers are not recorded (a retry gets IDEMPOTENCY_REPLAY_UNAVAILABLE). */
const MAX_RECORDED_BODY = 64 * 1024;
const PRUNE_EVERY_MS = 3_600_000;
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** An sf-string (RFC 8941), as the draft specifies, or a bare token as many clients send. */
const SF_STRING = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/;
const BARE_KEY = /^[\x21\x23-\x2b\x2d-\x7e]+$/;

/** Property names whose string values are secrets, wherever they appear in an answer (`url`: an invitation link carries its token). */
const SECRET_FIELDS = new Set(['key', 'secret', 'clientSecret', 'client_secret', 'privateKey', 'password', 'token', 'accessToken', 'access_token', 'url']);
/** Anything shaped like a Portcullis key or client secret; the checksum decides. */
const CREDENTIAL_SHAPE = /(?<![0-9A-Za-z_])([a-z][a-z0-9]{0,15})_[0-9A-Za-z]{36}(?![0-9A-Za-z])/g;

/** The key's value, or undefined when the header is absent; a malformed header is a 400. */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const raw = Array.isArray(header) ? header.join(', ') : header;
  const quoted = SF_STRING.exec(raw);
  const value = quoted ? quoted[1]!.replace(/\\(["\\])/g, '$1') : BARE_KEY.test(raw) ? raw : undefined;
  if (value === undefined || value.length === 0 || value.length > MAX_KEY_LENGTH) {
    throw new PortcullisError(
      'IDEMPOTENCY_KEY_INVALID',
      `Idempotency-Key takes one value of 1–${MAX_KEY_LENGTH} visible ASCII characters, e.g. "8e03978e-40d5-43e8-bc93-6894a57f9324"`,
    );
  }
  return value;
}

/** What makes two requests "the same" for one key: method, path and query, the caller, the body. */
export function requestFingerprint(request: { method: string; url: string; actorId: string; body: unknown }): string {
  return createHash('sha256')
    .update(`${request.method}\n${request.url}\n${request.actorId}\n`)
    .update(request.body === undefined || request.body === null ? '' : JSON.stringify(request.body))
    .digest('hex');
}

export const idempotencyKeyHash = (key: string) => createHash('sha256').update(key).digest('hex');

/** True when the answer holds a secret: a field named like one, or a well-formed Portcullis credential. */
export function carriesSecret(body: string): boolean {
  for (const match of body.matchAll(CREDENTIAL_SHAPE)) if (isWellFormedKey(match[0], match[1]!)) return true;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return false;
  }
  const pending: unknown[] = [parsed];
  while (pending.length > 0) {
    const value = pending.pop();
    if (!value || typeof value !== 'object') continue;
    for (const [name, child] of Object.entries(value)) {
      if (typeof child === 'string' && SECRET_FIELDS.has(name)) return true;
      if (child && typeof child === 'object') pending.push(child);
    }
  }
  return false;
}

function recordable(reply: FastifyReply, payload: unknown): IdempotentResponse | null {
  const body =
    payload === undefined || payload === null ? '' : typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined;
  if (body === undefined || Buffer.byteLength(body) > MAX_RECORDED_BODY || carriesSecret(body)) return null;
  const contentType = reply.getHeader('content-type');
  return { status: reply.statusCode, contentType: typeof contentType === 'string' ? contentType : null, body };
}

function secondsUntil(time: number, now: number): string {
  return String(Math.max(1, Math.ceil((time - now) / 1000)));
}

export function registerIdempotency(server: FastifyInstance, app: App): void {
  const lockMs = LOCK_STORE_TIMEOUTS * parseDuration(app.config.storeTimeout);
  const claims = new WeakMap<FastifyRequest, IdempotentWrite>();
  let lastPrune = 0;

  function prune(now: number): void {
    if (now - lastPrune < PRUNE_EVERY_MS) return;
    lastPrune = now;
    app.store
      .deleteIdempotencyKeysExpiredBefore(now)
      .catch((error: Error) => app.log.warn({ err: { message: error.message } }, 'could not prune Idempotency-Keys'));
  }

  /** The answer to a retry of a key already claimed: replay, or say why not. */
  function answerFrom(record: IdempotencyRecord, fingerprint: string, now: number, reply: FastifyReply): FastifyReply {
    if (record.fingerprint !== fingerprint) {
      throw new PortcullisError(
        'IDEMPOTENCY_KEY_REUSED',
        'this Idempotency-Key came with another request (method, path or body); use a new key for a new request',
      );
    }
    if (record.state === 'done' && record.response) {
      const { status, contentType, body } = record.response;
      if (contentType) reply.type(contentType);
      return reply.code(status).header('idempotent-replayed', 'true').send(body);
    }
    if (record.state !== 'done' && record.lockedUntil > now) {
      reply.header('retry-after', secondsUntil(record.lockedUntil, now));
      throw new PortcullisError('IDEMPOTENCY_KEY_IN_USE', 'a request with this Idempotency-Key is still in progress; retry later');
    }
    const target = record.target ? { targetType: record.target.type, targetId: record.target.id } : {};
    throw new PortcullisError(
      'IDEMPOTENCY_REPLAY_UNAVAILABLE',
      record.target
        ? `the request was already processed (${record.target.type} ${record.target.id}); its answer is not stored (it held a secret, or was lost): look the object up, and roll the key or rotate the secret if you lost it`
        : 'the request was already processed; its answer is not stored',
      target,
    );
  }

  server.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.some((method) => WRITE_METHODS.has(method))) return;
    const handler = route.handler as RouteHandlerMethod;
    route.handler = async function idempotentHandler(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
      const key = WRITE_METHODS.has(request.method) ? parseIdempotencyKey(request.headers['idempotency-key']) : undefined;
      // Without an authenticated actor there is no scope; authentication refuses such a request anyway.
      if (key === undefined || !request.actor) return handler.call(this, request, reply);
      const now = app.clock.now();
      prune(now);
      const write: IdempotentWrite = { scope: request.actor.id, keyHash: idempotencyKeyHash(key), claimToken: randomBytes(18).toString('base64url') };
      const fingerprint = requestFingerprint({ method: request.method, url: request.url, actorId: request.actor.id, body: request.body });
      const claim = await app.store.claimIdempotencyKey({ ...write, fingerprint, now, lockedUntil: now + lockMs, expiresAt: now + IDEMPOTENCY_KEY_TTL_MS });
      if (!claim.claimed) return answerFrom(claim.record, fingerprint, now, reply);
      claims.set(request, write);
      request.actor = { ...request.actor, idempotentWrite: write };
      return handler.call(this, request, reply);
    } as RouteHandlerMethod;
  });

  // Before the answer leaves: record it (a retry replays it) or, after a fault, give the key back.
  server.addHook('onSend', async (request, reply, payload) => {
    const write = claims.get(request);
    if (!write) return payload;
    claims.delete(request);
    try {
      if (reply.statusCode >= 500) await app.store.releaseIdempotencyKey(write);
      else await app.store.completeIdempotencyKey(write, recordable(reply, payload));
    } catch (error) {
      // The client still gets its answer; a retry finds the key committed or lets its lock lapse.
      request.log.warn({ err: { message: (error as Error).message } }, 'could not record the Idempotency-Key outcome');
    }
    return payload;
  });
}
