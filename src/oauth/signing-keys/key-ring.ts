// The signing-key ring: which key signs now, which keys verify and appear in the JWKS, and rotation.
// Rotation publishes a new key one JWKS cache period before it signs, and keeps each retired key in
// the JWKS until the last token it signed has expired. State lives in the store; every node reloads it.
import { createPublicKey, type KeyObject, randomUUID } from 'node:crypto';
import type { Actor, AuditLog } from '../../audit/log.js';
import { PortcullisError } from '../../errors/codes.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import type { SigningAlg, SigningKeyRecord } from '../../store/oauth-types.js';
import type { JsonObject, Store } from '../../store/types.js';
import type { KeySet } from '../jwt/verified-token.js';
import { generateSigningKeyPair, publicJwkOf } from './generate.js';
import { openPrivateKey, sealPrivateKey } from './seal.js';
import { type CompactSigner, createCompactSigner } from './sign.js';

export type SigningKeyState = 'pending' | 'active' | 'retired';

export interface ActiveSigner {
  kid: string;
  alg: SigningAlg;
  sign: CompactSigner;
}

export interface KeyRingDeps {
  store: Store;
  clock: Clock;
  /** Absent: the ring verifies and publishes but cannot sign or rotate. */
  masterKey: Buffer | undefined;
  alg: SigningAlg;
  jwksCacheMaxAgeMs: number;
  maxTokenTtlMs: number;
  clockToleranceMs: number;
  rotateEveryMs: number;
  audit: AuditLog;
  /** Least time between two store reloads caused by an unknown kid. */
  unknownKidReloadCooldownMs?: number;
  /** Told after this node rotated (so other nodes reload at once). */
  onRotated?: () => void;
}

interface RingKey {
  record: SigningKeyRecord;
  publicKey: KeyObject;
  signer?: ActiveSigner;
}

export const KID_PATTERN = /^sk_[0-9A-Za-z]{22}$/;

/** The store lease (store/hygiene-types.ts) the scheduled rotation takes: one rotation a period across every node and worker. */
const ROTATION_LEASE = 'signing-key-rotation';
const ROTATION_LEASE_TTL_MS = 60_000;

const published = (r: SigningKeyRecord, now: number) => r.removeAfter === null || r.removeAfter > now;
const signsAt = (r: SigningKeyRecord, now: number) => r.activatesAt <= now && (r.retiresAt === null || r.retiresAt > now) && published(r, now);

export function stateOf(r: SigningKeyRecord, now: number): SigningKeyState {
  if (r.activatesAt > now) return 'pending';
  return r.retiresAt !== null && r.retiresAt <= now ? 'retired' : 'active';
}

/** The key that signs at `now`: the most recently activated one that is not retired. */
export function pickSigner(records: readonly SigningKeyRecord[], now: number): SigningKeyRecord | undefined {
  let best: SigningKeyRecord | undefined;
  for (const r of records) {
    if (!signsAt(r, now)) continue;
    if (!best || r.activatesAt > best.activatesAt || (r.activatesAt === best.activatesAt && r.id > best.id)) best = r;
  }
  return best;
}

/** The next instant at which a key's state changes after `now` (Infinity if none). */
function nextBoundary(records: readonly SigningKeyRecord[], now: number): number {
  let next = Infinity;
  for (const r of records) {
    for (const t of [r.activatesAt, r.retiresAt, r.removeAfter]) if (t !== null && t > now && t < next) next = t;
  }
  return next;
}

export function createSigningKeyRing(deps: KeyRingDeps) {
  const { store, clock, masterKey, audit } = deps;
  const leaseHolder = randomUUID();
  const cooldown = deps.unknownKidReloadCooldownMs ?? 5000;
  let keys = new Map<string, RingKey>();
  let records: SigningKeyRecord[] = [];
  let memo: { signer: ActiveSigner | undefined; computedAt: number; validUntil: number } | undefined;
  let lastLoadAt = -Infinity;
  let loading: Promise<void> | undefined;
  // Bumped on every reload: tokens cached under an older set have their key checked again, so a key
  // removed here or on another node (immediate rotation) refuses its cached tokens at once.
  const keySet: KeySet = {
    epoch: 0,
    keyValidUntil(kid, key, now) {
      const found = kid === undefined ? undefined : verificationKey(kid, now);
      return found && found.key === key ? found.until : undefined;
    },
  };

  function build(list: SigningKeyRecord[]): void {
    const next = new Map<string, RingKey>();
    for (const record of list) {
      const previous = keys.get(record.id);
      const publicKey = previous?.publicKey ?? createPublicKey({ key: record.publicJwk as never, format: 'jwk' });
      next.set(record.id, { record, publicKey, ...(previous?.signer ? { signer: previous.signer } : {}) });
    }
    keys = next;
    records = list;
    memo = undefined;
    keySet.epoch++;
  }

  async function load(): Promise<void> {
    loading ??= (async () => {
      try {
        lastLoadAt = clock.now();
        build(await store.listSigningKeys());
      } finally {
        loading = undefined;
      }
    })();
    return loading;
  }

  /** A published key by kid, with the one algorithm it is bound to and when it leaves the JWKS (ms, Infinity if not scheduled). */
  function verificationKey(kid: string, now: number): { key: KeyObject; alg: SigningAlg; until: number } | undefined {
    const entry = keys.get(kid);
    if (!entry || !published(entry.record, now)) return undefined;
    return { key: entry.publicKey, alg: entry.record.alg, until: entry.record.removeAfter ?? Infinity };
  }

  function signerFor(entry: RingKey): ActiveSigner {
    if (entry.signer) return entry.signer;
    if (!masterKey) throw new PortcullisError('SIGNING_UNAVAILABLE');
    const privateKey = openPrivateKey(masterKey, entry.record.id, entry.record.privateKeySealed);
    entry.signer = {
      kid: entry.record.id,
      alg: entry.record.alg,
      sign: createCompactSigner(entry.record.alg, privateKey, { typ: 'at+jwt', kid: entry.record.id }),
    };
    return entry.signer;
  }

  function mintRecord(now: number, activatesAt: number): SigningKeyRecord {
    if (!masterKey) throw new PortcullisError('SIGNING_UNAVAILABLE');
    const { privateKey, publicKey } = generateSigningKeyPair(deps.alg);
    const id = newId('sk', now);
    return {
      id,
      alg: deps.alg,
      publicJwk: publicJwkOf(publicKey, id, deps.alg),
      privateKeySealed: sealPrivateKey(masterKey, id, privateKey),
      createdAt: now,
      activatesAt,
      retiresAt: null,
      removeAfter: null,
    };
  }

  /**
   * Adds a key and schedules the current ones out. `immediate` (a compromised key): the new key
   * signs now and the old ones leave the JWKS now, so their tokens stop verifying.
   */
  async function rotate(options: { immediate?: boolean; onlyIfDue?: boolean }, actor: Actor): Promise<SigningKeyRecord | undefined> {
    const now = clock.now();
    const activatesAt = options.immediate ? now : now + deps.jwksCacheMaxAgeMs;
    const created = await store.transaction(async (tx) => {
      const existing = await tx.listSigningKeys();
      if (options.onlyIfDue) {
        const newest = existing.reduce<SigningKeyRecord | undefined>((a, r) => (!a || r.createdAt > a.createdAt ? r : a), undefined);
        if (newest && newest.createdAt + deps.rotateEveryMs > now) return undefined;
      }
      const record = mintRecord(now, activatesAt);
      await tx.insertSigningKey(record);
      // Normal: keys still signing at the new key's activation retire then and stay published until
      // their last token has expired. Immediate: every old key leaves the JWKS now.
      const removeAfter = options.immediate ? now : activatesAt + deps.maxTokenTtlMs + deps.clockToleranceMs;
      const affected = existing.filter((old) =>
        options.immediate ? old.removeAfter === null || old.removeAfter > now : old.retiresAt === null || old.retiresAt > activatesAt,
      );
      for (const old of affected) {
        await tx.updateSigningKey(old.id, {
          retiresAt: old.retiresAt === null ? activatesAt : Math.min(old.retiresAt, activatesAt),
          removeAfter: old.removeAfter === null ? removeAfter : Math.min(old.removeAfter, removeAfter),
        });
      }
      await audit.record(
        tx,
        actor,
        'signing_key.rotated',
        { type: 'signing-key', id: record.id },
        {
          alg: record.alg,
          activatesAt: new Date(activatesAt).toISOString(),
          immediate: options.immediate === true,
          retired: affected.map((o) => o.id),
        },
      );
      return record;
    });
    await load();
    if (created) deps.onRotated?.();
    return created;
  }

  return {
    load,

    /** Makes sure a key can sign now (creating the first one) and that it decrypts. Needs the master key. */
    async ensureSigningKey(actor: Actor): Promise<void> {
      await load();
      const now = clock.now();
      if (!records.some((r) => r.retiresAt === null || r.retiresAt > now)) {
        await store.transaction(async (tx) => {
          const existing = await tx.listSigningKeys();
          if (existing.some((r) => r.retiresAt === null || r.retiresAt > now)) return;
          const record = mintRecord(now, now);
          await tx.insertSigningKey(record);
          await audit.record(tx, actor, 'signing_key.created', { type: 'signing-key', id: record.id }, { alg: record.alg });
        });
        await load();
      }
      const current = pickSigner(records, now);
      if (current) signerFor(keys.get(current.id)!);
    },

    /** The signer for `now`, or undefined when no key can sign (or there is no master key). Hot path. */
    signer(now: number): ActiveSigner | undefined {
      if (!memo || now >= memo.validUntil || now < memo.computedAt) {
        const record = pickSigner(records, now);
        let signer: ActiveSigner | undefined;
        if (record && masterKey) signer = signerFor(keys.get(record.id)!);
        memo = { signer, computedAt: now, validUntil: nextBoundary(records, now) };
      }
      return memo.signer;
    },

    verificationKey,

    keySet,

    /** Reloads from the store for a kid we do not know (another node rotated), at most once per cooldown. */
    async refreshForUnknownKid(kid: string): Promise<void> {
      if (!KID_PATTERN.test(kid) || keys.has(kid)) return;
      if (loading) return loading;
      if (clock.now() - lastLoadAt < cooldown) return;
      await load();
    },

    jwks(now: number): { keys: JsonObject[] } {
      return { keys: records.filter((r) => published(r, now)).map((r) => r.publicJwk) };
    },

    list(now: number): Array<SigningKeyRecord & { state: SigningKeyState }> {
      return records.map((r) => ({ ...r, state: stateOf(r, now) }));
    },

    rotate,

    /** Periodic work: scheduled rotation, pruning keys whose last token expired, reloading. */
    async tick(actor: Actor): Promise<void> {
      const now = clock.now();
      const newest = records.reduce((latest, r) => Math.max(latest, r.createdAt), -Infinity);
      // Due: one node (or worker) of the cluster rotates. The transaction's check alone lets two PostgreSQL
      // transactions (READ COMMITTED) that start together both insert a key; the store lease does not.
      if (
        masterKey &&
        deps.rotateEveryMs > 0 &&
        newest + deps.rotateEveryMs <= now &&
        (await store.tryAcquireLease(ROTATION_LEASE, leaseHolder, ROTATION_LEASE_TTL_MS, now))
      ) {
        await rotate({ onlyIfDue: true }, actor);
      }
      await store.deleteSigningKeysRemovedBefore(now);
      await load();
    },

    get canSign(): boolean {
      return masterKey !== undefined;
    },
  };
}

export type SigningKeyRing = ReturnType<typeof createSigningKeyRing>;
