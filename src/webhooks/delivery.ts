// The delivery worker: every poll it claims due messages (a lease in the store: exactly one node
// holds a message at a time, and a message whose node died is claimed again once the lease has
// passed), signs and POSTs each with undici (no redirects, a timeout, the SSRF guard on the address
// actually connected to), records the attempt, and schedules a retry with exponential backoff and
// jitter until the retry window closes. An endpoint failing `disableAfterFailures` times in a row
// is disabled (audit event webhook.disabled). Started by the server start, stopped on close.
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'undici';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/types.js';
import type { ClaimedWebhookMessage, WebhookAttemptOutcome, WebhookEndpointRecord } from '../store/webhooks-types.js';
import { liveSecrets, openWebhookSecret, webhookHeaders } from './signing.js';
import { forbiddenLiteral, guardedLookup } from './url-check.js';

export interface DeliverySettings {
  timeoutMs: number;
  retryWindowMs: number;
  maxAttempts: number;
  disableAfterFailures: number;
  /** `webhooks.allowPrivateNetworks`. */
  allowPrivateNetworks: boolean;
  pollIntervalMs: number;
  /** Messages claimed (and sent concurrently) per poll. */
  batchSize?: number;
}

export interface DeliveryDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  masterKey: Buffer | undefined;
  settings: DeliverySettings;
  /** Records the audit event of an endpoint Portcullis disabled, in the disabling transaction. */
  onDisabled: (store: Store, endpoint: WebhookEndpointRecord, reason: string) => Promise<void>;
  /** A number in [0, 1) for the jitter; Math.random unless a test fixes it. */
  random?: () => number;
}

/** The first retry waits this long; each next one twice as long, up to MAX_DELAY_MS. */
const FIRST_DELAY_MS = 30_000;
const MAX_DELAY_MS = 4 * 3_600_000;
/** Delivered and failed messages (and their attempts) are kept this long in the delivery log. */
export const DELIVERY_LOG_RETENTION_MS = 30 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;
/** With nothing to send, a node looks at most this seldom (messages another node or the CLI wrote wait up to this long). */
export const MAX_IDLE_POLL_MS = 30_000;
/** Of an answer's body, at most this much is read (and dropped). */
const MAX_RESPONSE_BYTES = 64 * 1024;

/** The wait before attempt `attempts + 1`: exponential, capped, ±25 % jitter so retries of many messages spread out. */
export function retryDelay(attempts: number, random: number): number {
  const base = Math.min(FIRST_DELAY_MS * 2 ** Math.max(0, attempts - 1), MAX_DELAY_MS);
  return Math.round(base * (0.75 + random * 0.5));
}

interface AttemptResult {
  statusCode: number | null;
  error: string | null;
}

export function createWebhookDelivery({ store, clock, log, masterKey, settings, onDisabled, random = Math.random }: DeliveryDeps) {
  const batchSize = settings.batchSize ?? 20;
  // The lease outlives an attempt with room to spare: a live node finishes well before another may claim.
  const leaseMs = settings.timeoutMs * 2 + 5_000;
  const agentOptions = { headersTimeout: settings.timeoutMs, bodyTimeout: settings.timeoutMs, connect: { timeout: settings.timeoutMs } };
  const guarded = new Agent({ ...agentOptions, connect: { ...agentOptions.connect, lookup: guardedLookup } });
  const open = new Agent(agentOptions);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = false;
  let lastPrune = 0;
  // Stopping aborts the attempts in flight (recorded as failed, retried later by any node).
  const stopping = new AbortController();

  async function send({ message, endpoint }: ClaimedWebhookMessage, at: number): Promise<AttemptResult> {
    const url = new URL(endpoint.url);
    const allowPrivate = settings.allowPrivateNetworks || endpoint.allowPrivateNetworks;
    const literal = allowPrivate ? undefined : forbiddenLiteral(url);
    if (literal) return { statusCode: null, error: literal };
    if (!masterKey) return { statusCode: null, error: 'no oauth.masterKey to open the signing secret' };
    const secrets = liveSecrets(endpoint.secrets, at).map((s) => openWebhookSecret(masterKey, endpoint.id, s));
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Portcullis-Webhooks/1',
      ...webhookHeaders({ messageId: message.id, at, payload: message.payload, secrets }),
    };
    try {
      const response = await request(url, {
        method: 'POST',
        headers,
        body: message.payload,
        dispatcher: allowPrivate ? open : guarded,
        signal: AbortSignal.any([AbortSignal.timeout(settings.timeoutMs), stopping.signal]),
      });
      await response.body.dump({ limit: MAX_RESPONSE_BYTES }).catch(() => undefined);
      const ok = response.statusCode >= 200 && response.statusCode < 300;
      return { statusCode: response.statusCode, error: ok ? null : `HTTP ${response.statusCode}` };
    } catch (error) {
      return { statusCode: null, error: describe(error) };
    }
  }

  function outcomeOf(claimed: ClaimedWebhookMessage, result: AttemptResult, now: number): WebhookAttemptOutcome {
    if (result.error === null) return { status: 'delivered' };
    const attempts = claimed.message.attempts + 1;
    const nextAttemptAt = now + retryDelay(attempts, random());
    if (attempts >= settings.maxAttempts || nextAttemptAt > claimed.message.windowStart + settings.retryWindowMs) return { status: 'failed' };
    return { status: 'pending', nextAttemptAt };
  }

  async function disable(endpoint: WebhookEndpointRecord, failures: number): Promise<void> {
    const reason = `${failures} delivery attempts failed in a row`;
    await store.transaction(async (tx) => {
      const current = await tx.getWebhookEndpoint(endpoint.id);
      if (!current?.enabled) return;
      const updated = await tx.updateWebhookEndpoint(endpoint.id, { enabled: false, disabledReason: reason, updatedAt: clock.now() });
      await onDisabled(tx, updated!, reason);
    });
    log.warn({ webhookId: endpoint.id, failures }, 'webhook endpoint disabled after repeated delivery failures');
  }

  async function deliver(claimed: ClaimedWebhookMessage, claimToken: string): Promise<void> {
    const at = clock.now();
    const started = performance.now();
    const result = await send(claimed, at);
    const now = clock.now();
    const finished = await store.finishWebhookAttempt({
      claimToken,
      attempt: {
        id: newId('att', at),
        messageId: claimed.message.id,
        endpointId: claimed.endpoint.id,
        at,
        statusCode: result.statusCode,
        error: result.error,
        durationMs: Math.round(performance.now() - started),
      },
      outcome: outcomeOf(claimed, result, now),
    });
    if (finished.recorded && result.error !== null && finished.consecutiveFailures >= settings.disableAfterFailures) {
      await disable(claimed.endpoint, finished.consecutiveFailures);
    }
  }

  /** One poll: claims a batch of due messages and delivers them concurrently; the number handled. */
  async function runOnce(): Promise<number> {
    const now = clock.now();
    if (now - lastPrune >= PRUNE_EVERY_MS) {
      lastPrune = now;
      await store.deleteWebhookMessagesBefore(now - DELIVERY_LOG_RETENTION_MS);
    }
    const claimToken = randomBytes(12).toString('base64url');
    const claimed = await store.claimWebhookMessages({ now, leaseUntil: now + leaseMs, claimToken, limit: batchSize });
    await Promise.all(
      claimed.map((c) =>
        deliver(c, claimToken).catch((error: Error) =>
          log.warn({ err: { message: error.message }, webhookId: c.endpoint.id }, 'could not record a webhook delivery'),
        ),
      ),
    );
    return claimed.length;
  }

  /** Idle polls back off (doubling up to MAX_IDLE_POLL_MS); a claim that found work, or `wake()`, comes back to the interval. */
  let pollDelay = settings.pollIntervalMs;
  let started = false;

  function schedule(delay: number): void {
    if (stopped || !started) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void poll(), delay);
    timer.unref();
  }

  async function poll(): Promise<void> {
    timer = undefined;
    if (running || stopped) return;
    let handled = 0;
    running = runOnce();
    try {
      // A full batch: more may be due, so the next claim starts at once.
      for (let n = await running; ; n = await running) {
        handled += n;
        if (n < batchSize || stopped) break;
        running = runOnce();
      }
    } catch (error) {
      log.warn({ err: { message: (error as Error).message } }, 'could not claim webhook messages; will retry');
    } finally {
      running = undefined;
    }
    pollDelay = handled > 0 ? settings.pollIntervalMs : Math.min(pollDelay * 2, Math.max(settings.pollIntervalMs, MAX_IDLE_POLL_MS));
    schedule(pollDelay);
  }

  return {
    runOnce,
    start(): void {
      if (started || stopped) return;
      started = true;
      schedule(settings.pollIntervalMs);
    },
    /** This node wrote messages (audit/log.ts' hook, the limit events' flush): look again within the poll interval. */
    wake(): void {
      pollDelay = settings.pollIntervalMs;
      if (!running) schedule(settings.pollIntervalMs);
    },
    async stop(): Promise<void> {
      stopped = true;
      stopping.abort();
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running?.catch(() => undefined);
      await Promise.all([guarded.close(), open.close()]);
    },
  };
}

/** An attempt's failure in words, without the request (which could carry a token in its URL). */
function describe(error: unknown): string {
  const e = error as { code?: string; name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.code === 'UND_ERR_HEADERS_TIMEOUT' || e?.code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  const refused = [e?.message, e?.cause?.message].find((m) => m?.startsWith('refused:'));
  if (refused) return refused;
  return e?.cause?.code ?? e?.code ?? 'request failed';
}

export type WebhookDelivery = ReturnType<typeof createWebhookDelivery>;
