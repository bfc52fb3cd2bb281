// OAuth clients of one consumer: create (secret shown once; or a pasted JWKS for private_key_jwt), replace
// a private_key_jwt client's JWKS, rotate the secret with an overlap, revoke every token issued so far, delete.

import { useState } from 'preact/hooks';
import { del, get, pageOf, patch, post } from '../api.js';
import { formatDate } from '../format.js';
import { AllowedIpsField, AllowedIpsSummary, allowedIpsOf } from '../ui/allowed-ips.js';
import { ConfirmDialog, Dialog } from '../ui/dialog.js';
import { Badge, EmptyState, Field, FormFooter, LoadError, Loading, PageHeader, Select, TextArea, text, useResource, useSubmit } from '../ui/parts.js';
import { SecretPanel } from '../ui/secret.js';
import { DataTable, RowAction, ScopeChips } from '../ui/table.js';
import { toast } from '../ui/toast.js';
import { OVERLAPS } from './keys.js';

export interface Client {
  clientId: string;
  name: string;
  scopes: string[];
  audiences: string[];
  tokenTtlSeconds: number;
  authMethod: string | null;
  authMethods: string[];
  jwks?: { keys: unknown[] } | null;
  enabled: boolean;
  tokensRevokedBefore: string | null;
  secrets?: { id: string; masked: string; expiresAt: string | null }[];
  allowedIps?: string[];
  createdAt: string;
}

type Open = { kind: 'create' } | { kind: 'edit' | 'rotate' | 'keys' | 'revoke' | 'delete'; client: Client } | null;

const METHODS: [string, string][] = [
  ['', 'Client secret (basic or post)'],
  ['client_secret_basic', 'Client secret, HTTP Basic only'],
  ['client_secret_post', 'Client secret, form body only'],
  ['private_key_jwt', 'Private key JWT (your JWKS)'],
];

/** The JWKS a private_key_jwt client registers, pasted at creation or to replace its keys. */
function JwksField({ initial }: { initial?: string }) {
  return (
    <TextArea
      label="Public keys (JWKS)"
      name="jwks"
      rows={6}
      required
      spellcheck={false}
      defaultValue={initial}
      placeholder='{"keys": [{"kty": "EC", "crv": "P-256", "x": "…", "y": "…", "kid": "…"}]}'
      hint="Public keys only. Your service signs its client assertions with the private half."
    />
  );
}

function parseJwks(value: string): unknown {
  try {
    const jwks = JSON.parse(value) as { keys?: unknown };
    if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) throw new Error();
    return jwks;
  } catch {
    throw new Error('The JWKS must be JSON like {"keys": [{…public key…}]}.');
  }
}

export function ClientsPage({ scope = '', title = 'OAuth clients', embedded = false }: { scope?: string; title?: string; embedded?: boolean }) {
  const list = useResource(async () => pageOf<Client>(await get(`${scope}clients`, { limit: 200 })), [scope]);
  const [open, setOpen] = useState<Open>(null);
  const [method, setMethod] = useState('');
  const [secret, setSecret] = useState<{ clientId: string; value: string } | null>(null);
  const close = () => setOpen(null);
  const clients = list.data?.items ?? [];

  const create = useSubmit(async (data) => {
    const authMethod = text(data, 'authMethod');
    const scopes = text(data, 'scopes')
      .split(/[\s,]+/)
      .filter(Boolean);
    const ttl = text(data, 'ttl');
    const allowedIps = allowedIpsOf(data);
    const issued = await post<Client & { clientSecret?: string }>(`${scope}clients`, {
      name: text(data, 'name'),
      ...(authMethod ? { authMethod } : {}),
      ...(authMethod === 'private_key_jwt' ? { jwks: parseJwks(text(data, 'jwks')) } : {}),
      ...(scopes.length ? { scopes } : {}),
      ...(ttl ? { tokenTtlSeconds: Number(ttl) } : {}),
      ...(allowedIps.length ? { allowedIps } : {}),
    });
    close();
    if (issued.clientSecret) setSecret({ clientId: issued.clientId, value: issued.clientSecret });
    else toast(`Client ${issued.clientId} created.`);
    list.reload();
  });
  const rotate = useSubmit(async (data) => {
    if (open?.kind !== 'rotate') return;
    const answer = await post<{ clientId: string; clientSecret: string }>(`${scope}clients/${open.client.clientId}/secrets`, {
      expireOldInSeconds: Number(text(data, 'overlap')),
    });
    close();
    setSecret({ clientId: answer.clientId, value: answer.clientSecret });
    list.reload();
  });

  const edit = useSubmit(async (data) => {
    if (open?.kind !== 'edit') return;
    await patch(`${scope}clients/${open.client.clientId}`, { name: text(data, 'name'), allowedIps: allowedIpsOf(data) });
    close();
    toast('Client updated.');
    list.reload();
  });

  const replaceKeys = useSubmit(async (data) => {
    if (open?.kind !== 'keys') return;
    await patch(`${scope}clients/${open.client.clientId}`, { jwks: parseJwks(text(data, 'jwks')) });
    close();
    toast('Keys replaced. Assertions signed with a key no longer listed are refused from now on.');
    list.reload();
  });

  const createButton = (
    <button
      type="button"
      class="button button-primary"
      onClick={() => {
        setMethod('');
        setOpen({ kind: 'create' });
      }}
    >
      Create client
    </button>
  );

  return (
    <>
      <PageHeader
        embedded={embedded}
        title={title}
        lead="Clients get short-lived access tokens from the token endpoint with the client-credentials grant."
        actions={createButton}
      />
      {secret && <SecretPanel label="client secret" value={secret.value} extra={[['Client ID', secret.clientId]]} onDone={() => setSecret(null)} />}
      {list.error ? (
        <LoadError message={list.error} retry={list.reload} />
      ) : list.loading && !list.data ? (
        <Loading />
      ) : clients.length === 0 ? (
        <EmptyState title="No OAuth clients yet" action={createButton}>
          A client suits a service that prefers short-lived tokens to a long-lived key.
        </EmptyState>
      ) : (
        <DataTable caption={title} columns={['Name', 'Authentication', 'Scopes', 'Secrets', 'Created']} actions>
          {clients.map((c) => (
            <tr key={c.clientId}>
              <td data-label="Name">
                <div class="cell-main">
                  {c.name || 'Unnamed client'} {!c.enabled && <Badge>Disabled</Badge>}
                </div>
                <code class="cell-sub">{c.clientId}</code>
              </td>
              <td data-label="Authentication">
                {c.authMethods.map((m) => m.replaceAll('_', ' ')).join(', ')}
                <AllowedIpsSummary ips={c.allowedIps} />
              </td>
              <td data-label="Scopes">
                <ScopeChips scopes={c.scopes} none="All" />
              </td>
              <td data-label="Secrets">
                {c.secrets?.length
                  ? c.secrets.map((s) => (
                      <div key={s.id}>
                        <code>{s.masked}</code>
                        {s.expiresAt && <span class="cell-sub"> until {formatDate(s.expiresAt)}</span>}
                      </div>
                    ))
                  : '—'}
                {c.tokensRevokedBefore && <div class="cell-sub">Tokens revoked before {formatDate(c.tokensRevokedBefore)}</div>}
              </td>
              <td data-label="Created">{formatDate(c.createdAt, false)}</td>
              <td class="row-actions">
                <RowAction label="Edit" name={`Edit ${c.name || c.clientId}`} onClick={() => setOpen({ kind: 'edit', client: c })} />
                {c.authMethod === 'private_key_jwt' && (
                  <RowAction label="Replace keys" name={`Replace keys of ${c.name || c.clientId}`} onClick={() => setOpen({ kind: 'keys', client: c })} />
                )}
                {c.authMethod !== 'private_key_jwt' && (
                  <RowAction label="Rotate secret" name={`Rotate secret of ${c.name || c.clientId}`} onClick={() => setOpen({ kind: 'rotate', client: c })} />
                )}
                <RowAction label="Revoke tokens" name={`Revoke tokens of ${c.name || c.clientId}`} onClick={() => setOpen({ kind: 'revoke', client: c })} />
                <RowAction label="Delete" name={`Delete ${c.name || c.clientId}`} danger onClick={() => setOpen({ kind: 'delete', client: c })} />
              </td>
            </tr>
          ))}
        </DataTable>
      )}

      <Dialog title="Create an OAuth client" open={open?.kind === 'create'} onClose={close} wide>
        <form onSubmit={create.onSubmit}>
          <Field label="Name" name="name" maxLength={200} placeholder="e.g. invoicing worker" error={create.fieldError('name')} />
          <Select
            label="Authentication at the token endpoint"
            name="authMethod"
            options={METHODS}
            onChange={(e: { currentTarget: HTMLSelectElement }) => setMethod(e.currentTarget.value)}
          />
          {method === 'private_key_jwt' && <JwksField />}
          <Field label="Scopes (optional)" name="scopes" placeholder="orders:read" hint="Space-separated; empty means every scope your organisation has." />
          <Field label="Token lifetime in seconds (optional)" name="ttl" type="number" min={1} inputMode="numeric" />
          <AllowedIpsField form={create} who="the client" />
          <FormFooter form={create} onCancel={close} label="Create client" />
        </form>
      </Dialog>

      <Dialog title="Edit client" open={open?.kind === 'edit'} onClose={close}>
        {open?.kind === 'edit' && (
          <form onSubmit={edit.onSubmit}>
            <Field label="Name" name="name" maxLength={200} defaultValue={open.client.name} error={edit.fieldError('name')} />
            <AllowedIpsField form={edit} initial={open.client.allowedIps} who="the client" />
            <FormFooter form={edit} onCancel={close} label="Save" />
          </form>
        )}
      </Dialog>

      <Dialog title="Rotate client secret" open={open?.kind === 'rotate'} onClose={close}>
        {open?.kind === 'rotate' && (
          <form onSubmit={rotate.onSubmit}>
            <p class="dialog-text">
              A new secret is issued for <code>{open.client.clientId}</code>. Tokens already issued stay valid until they expire.
            </p>
            <Select label="The current secrets stop working" name="overlap" options={OVERLAPS} initial="86400" />
            <FormFooter form={rotate} onCancel={close} label="Rotate secret" />
          </form>
        )}
      </Dialog>

      <Dialog title="Replace the client's public keys" open={open?.kind === 'keys'} onClose={close} wide>
        {open?.kind === 'keys' && (
          <form onSubmit={replaceKeys.onSubmit}>
            <p class="dialog-text">
              The keys below replace every key of <code>{open.client.clientId}</code> at once: an assertion signed with a key you leave out is refused from the
              next request. Tokens already issued stay valid until they expire.
            </p>
            <JwksField initial={open.client.jwks ? JSON.stringify(open.client.jwks, null, 2) : ''} />
            <FormFooter form={replaceKeys} onCancel={close} label="Replace keys" />
          </form>
        )}
      </Dialog>

      <ConfirmDialog
        title="Revoke every token of this client?"
        open={open?.kind === 'revoke'}
        onClose={close}
        danger
        confirmLabel="Revoke tokens"
        body={
          open?.kind === 'revoke' && (
            <p>
              Every access token issued to <code>{open.client.clientId}</code> until now stops working at once. The client can get new tokens with its secret.
            </p>
          )
        }
        onConfirm={async () => {
          if (open?.kind !== 'revoke') return;
          await post(`${scope}clients/${open.client.clientId}/revoke-tokens`);
          toast('Tokens revoked.');
          list.reload();
        }}
      />
      <ConfirmDialog
        title="Delete this client?"
        open={open?.kind === 'delete'}
        onClose={close}
        danger
        confirmLabel="Delete client"
        body={
          open?.kind === 'delete' && (
            <p>
              <code>{open.client.clientId}</code> ({open.client.name || 'unnamed'}) and its secrets are deleted and its tokens refused. This cannot be undone.
            </p>
          )
        }
        onConfirm={async () => {
          if (open?.kind !== 'delete') return;
          await del(`${scope}clients/${open.client.clientId}`);
          toast('Client deleted.');
          list.reload();
        }}
      />
    </>
  );
}
