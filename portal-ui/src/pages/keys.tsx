// API keys of one consumer: create (plaintext shown once), list, rename and set expiry, roll with an
// overlap, revoke. `scope` is '' for a member's own consumer and `admin/consumers/<id>/` for an operator.

import { useState } from 'preact/hooks';
import { patch, post } from '../api.js';
import { formatAgo, formatDate, formatQuota, formatRateLimit, type QuotaStatus } from '../format.js';
import { AllowedIpsField, AllowedIpsSummary, allowedIpsOf } from '../ui/allowed-ips.js';
import { ConfirmDialog, Dialog } from '../ui/dialog.js';
import { Badge, EmptyState, Field, FormFooter, LoadError, Loading, LoadMore, PageHeader, Select, text, usePagedList, useSubmit } from '../ui/parts.js';
import { SecretPanel } from '../ui/secret.js';
import { DataTable, RowAction, ScopeChips } from '../ui/table.js';
import { toast } from '../ui/toast.js';

export interface ApiKey {
  id: string;
  name: string;
  masked: string;
  scopes: string[];
  expiresAt: string | null;
  enabled: boolean;
  revokedAt: string | null;
  lastUsedAt: string | null;
  rateLimit: unknown;
  quota: unknown;
  quotaStatus?: QuotaStatus | null;
  allowedIps?: string[];
  createdAt: string;
}

interface Issued extends ApiKey {
  key: string;
}

export const OVERLAPS: [string, string][] = [
  ['0', 'Now — the old one stops at once'],
  ['3600', 'In 1 hour'],
  ['86400', 'In 24 hours'],
  ['604800', 'In 7 days'],
  ['2592000', 'In 30 days'],
];

export function keyStatus(k: ApiKey, now = Date.now()) {
  if (k.revokedAt) return <Badge tone="danger">Revoked</Badge>;
  if (!k.enabled) return <Badge tone="neutral">Disabled</Badge>;
  if (k.expiresAt && Date.parse(k.expiresAt) <= now) return <Badge tone="danger">Expired</Badge>;
  if (k.expiresAt && Date.parse(k.expiresAt) - now < 7 * 86_400_000) return <Badge tone="warning">Expires {formatAgo(k.expiresAt, now)}</Badge>;
  return <Badge tone="success">Active</Badge>;
}

/** `yyyy-mm-dd` from a date input → the end of that day in the user's zone, as ISO; empty → null. */
function endOfDay(value: string): string | null {
  if (!value) return null;
  const d = new Date(`${value}T23:59:59`);
  if (Number.isNaN(d.getTime())) throw new Error('That expiry date is not valid.');
  if (d.getTime() < Date.now()) throw new Error('The expiry date is in the past.');
  return d.toISOString();
}

const dateInputValue = (iso: string | null) => (iso ? new Date(iso).toLocaleDateString('en-CA') : '');
const scopesOf = (value: string) => value.split(/[\s,]+/).filter(Boolean);

type Open = { kind: 'create' } | { kind: 'edit' | 'roll' | 'revoke'; key: ApiKey } | null;

export function KeysPage({ scope = '', title = 'API keys', embedded = false }: { scope?: string; title?: string; embedded?: boolean }) {
  const list = usePagedList<ApiKey>(`${scope}keys`, { limit: 50 });
  const [open, setOpen] = useState<Open>(null);
  const [secret, setSecret] = useState<{ value: string; name: string } | null>(null);
  const keys = list.items;
  const reload = list.reload;
  const close = () => setOpen(null);

  const create = useSubmit(async (data) => {
    const scopes = scopesOf(text(data, 'scopes'));
    const allowedIps = allowedIpsOf(data);
    const issued = await post<Issued>(`${scope}keys`, {
      name: text(data, 'name'),
      ...(scopes.length ? { scopes } : {}),
      expiresAt: endOfDay(text(data, 'expiresOn')),
      ...(allowedIps.length ? { allowedIps } : {}),
    });
    close();
    setSecret({ value: issued.key, name: issued.name });
    reload();
  });
  const edit = useSubmit(async (data) => {
    if (open?.kind !== 'edit') return;
    await patch(`${scope}keys/${open.key.id}`, {
      name: text(data, 'name'),
      expiresAt: endOfDay(text(data, 'expiresOn')),
      allowedIps: allowedIpsOf(data),
    });
    close();
    toast('Key updated.');
    reload();
  });
  const roll = useSubmit(async (data) => {
    if (open?.kind !== 'roll') return;
    const rolled = await post<Issued>(`${scope}keys/${open.key.id}/roll`, { expireOldInSeconds: Number(text(data, 'overlap')) });
    close();
    setSecret({ value: rolled.key, name: rolled.name });
    reload();
  });

  return (
    <>
      <PageHeader
        embedded={embedded}
        title={title}
        lead="Keys authenticate calls to the gateway. Roll a key before it expires; revoke one that may have leaked."
        actions={
          <button type="button" class="button button-primary" onClick={() => setOpen({ kind: 'create' })}>
            Create key
          </button>
        }
      />
      {secret && <SecretPanel label="API key" value={secret.value} extra={[['Name', secret.name || 'Unnamed key']]} onDone={() => setSecret(null)} />}
      {list.error ? (
        <LoadError message={list.error} retry={list.reload} />
      ) : list.loading && keys.length === 0 ? (
        <Loading />
      ) : keys.length === 0 ? (
        <EmptyState
          title="No API keys yet"
          action={
            <button type="button" class="button button-primary" onClick={() => setOpen({ kind: 'create' })}>
              Create your first key
            </button>
          }
        >
          Create a key to call the APIs. You will see it once, so have a secret store ready.
        </EmptyState>
      ) : (
        <DataTable caption={title} columns={['Name', 'Status', 'Scopes', 'Last used', 'Limits']} actions footer={<LoadMore list={list} />}>
          {keys.map((k) => (
            <tr key={k.id}>
              <td data-label="Name">
                <div class="cell-main">{k.name || 'Unnamed key'}</div>
                <code class="cell-sub">{k.masked}</code>
              </td>
              <td data-label="Status">
                {keyStatus(k)}
                <span class="cell-sub">
                  {k.revokedAt ? `on ${formatDate(k.revokedAt, false)}` : k.expiresAt ? `until ${formatDate(k.expiresAt, false)}` : 'No expiry'}
                </span>
              </td>
              <td data-label="Scopes">
                <ScopeChips scopes={k.scopes} none="All of the consumer’s" />
              </td>
              <td data-label="Last used">
                {formatAgo(k.lastUsedAt)}
                <span class="cell-sub">created {formatDate(k.createdAt, false)}</span>
              </td>
              <td data-label="Limits">
                <div>{formatRateLimit(k.rateLimit)}</div>
                <div class="cell-sub">Quota: {formatQuota(k.quota, k.quotaStatus)}</div>
                <AllowedIpsSummary ips={k.allowedIps} />
              </td>
              <td class="row-actions">
                {!k.revokedAt && (
                  <>
                    <RowAction label="Edit" name={`Edit ${k.name || k.masked}`} onClick={() => setOpen({ kind: 'edit', key: k })} />
                    <RowAction label="Roll" name={`Roll ${k.name || k.masked}`} onClick={() => setOpen({ kind: 'roll', key: k })} />
                    <RowAction label="Revoke" name={`Revoke ${k.name || k.masked}`} danger onClick={() => setOpen({ kind: 'revoke', key: k })} />
                  </>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}

      <Dialog title="Create an API key" open={open?.kind === 'create'} onClose={close}>
        <form onSubmit={create.onSubmit}>
          <Field
            label="Name"
            name="name"
            maxLength={200}
            placeholder="e.g. billing-service production"
            hint="So you know where it is used."
            error={create.fieldError('name')}
          />
          <Field
            label="Scopes (optional)"
            name="scopes"
            placeholder="orders:read orders:write"
            hint="Space-separated; empty means every scope your organisation has."
          />
          <Field label="Expires on (optional)" name="expiresOn" type="date" hint="Leave empty for a key that does not expire." />
          <AllowedIpsField form={create} who="the key" />
          <FormFooter form={create} onCancel={close} label="Create key" />
        </form>
      </Dialog>

      <Dialog title="Edit key" open={open?.kind === 'edit'} onClose={close}>
        {open?.kind === 'edit' && (
          <form onSubmit={edit.onSubmit}>
            <Field label="Name" name="name" maxLength={200} defaultValue={open.key.name} />
            <Field label="Expires on" name="expiresOn" type="date" defaultValue={dateInputValue(open.key.expiresAt)} hint="Empty: the key does not expire." />
            <AllowedIpsField form={edit} initial={open.key.allowedIps} who="the key" />
            <FormFooter form={edit} onCancel={close} label="Save" />
          </form>
        )}
      </Dialog>

      <Dialog title="Roll key" open={open?.kind === 'roll'} onClose={close}>
        {open?.kind === 'roll' && (
          <form onSubmit={roll.onSubmit}>
            <p class="dialog-text">
              A new key replaces <code>{open.key.masked}</code>. Keep the old one working long enough to deploy the new one everywhere.
            </p>
            <Select label="The old key stops working" name="overlap" options={OVERLAPS} initial="86400" />
            <FormFooter form={roll} onCancel={close} label="Roll key" />
          </form>
        )}
      </Dialog>

      <ConfirmDialog
        title="Revoke this key?"
        open={open?.kind === 'revoke'}
        onClose={close}
        danger
        confirmLabel="Revoke key"
        body={
          open?.kind === 'revoke' && (
            <p>
              Calls with <code>{open.key.masked}</code> ({open.key.name || 'unnamed'}) will be refused at once, on every gateway node. This cannot be undone.
            </p>
          )
        }
        onConfirm={async () => {
          if (open?.kind !== 'revoke') return;
          await post(`${scope}keys/${open.key.id}/revoke`);
          toast('Key revoked.');
          reload();
        }}
      />
    </>
  );
}
