// A consumer's webhook endpoints (owners): register one (its signing secret is shown once), see
// whether deliveries succeed, roll the secret, delete. `scope` '' = the owner's own consumer.

import { useState } from 'preact/hooks';
import { del, get, pageOf, post } from '../api.js';
import { formatDate } from '../format.js';
import { ConfirmDialog, Dialog } from '../ui/dialog.js';
import { Badge, EmptyState, Field, FormFooter, LoadError, Loading, PageHeader, text, useResource, useSubmit } from '../ui/parts.js';
import { SecretPanel } from '../ui/secret.js';
import { toast } from '../ui/toast.js';

interface Webhook {
  id: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  consecutiveFailures: number;
  createdAt: string;
}

const EVENTS: [string, string][] = [
  ['key.created', 'A key is created'],
  ['key.rolled', 'A key is rolled'],
  ['key.revoked', 'A key is revoked'],
  ['key.expiring', 'A key expires soon'],
  ['key.expired', 'A key expired'],
  ['key.leaked', 'A key was found leaked'],
  ['client.created', 'An OAuth client is created'],
  ['client.secret_rotated', 'A client secret is rotated'],
  ['client.tokens_revoked', 'A client’s tokens are revoked'],
  ['consumer.disabled', 'The organisation is disabled'],
  ['quota.threshold', 'A quota reaches 80 % or 100 %'],
  ['ratelimit.exceeded', 'A rate limit refuses requests'],
];

export function WebhooksPage({ scope = '' }: { scope?: string }) {
  const list = useResource(async () => pageOf<Webhook>(await get(`${scope}webhooks`)).items, [scope]);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const create = useSubmit(async (data) => {
    const url = text(data, 'url');
    const events = data.getAll('events').map(String);
    const answer = await post<{ secret: string }>(`${scope}webhooks`, { url, events, description: text(data, 'description') });
    setCreating(false);
    setSecret({ url, secret: answer.secret });
    list.reload();
  });
  const roll = async (w: Webhook) => {
    try {
      const answer = await post<{ secret: string }>(`${scope}webhooks/${w.id}/secret`, { expireOldInSeconds: 86_400 });
      setSecret({ url: w.url, secret: answer.secret });
    } catch (e) {
      toast(e instanceof Error ? e.message : 'The secret could not be rolled.', 'error');
    }
  };
  const addButton = (
    <button type="button" class="button button-primary" onClick={() => setCreating(true)}>
      Add endpoint
    </button>
  );
  return (
    <>
      <PageHeader
        title="Webhooks"
        lead="Portcullis POSTs a signed message (Standard Webhooks) to your endpoints when your keys, clients or limits change."
        actions={addButton}
      />
      {secret && <SecretPanel label="signing secret" value={secret.secret} extra={[['Endpoint', secret.url]]} onDone={() => setSecret(null)} />}
      {list.error ? (
        <LoadError message={list.error} retry={list.reload} />
      ) : !list.data ? (
        <Loading />
      ) : list.data.length === 0 ? (
        <EmptyState title="No endpoints yet" action={addButton}>
          Add an HTTPS endpoint and choose the events it receives.
        </EmptyState>
      ) : (
        <div class="card table-card">
          <table class="table responsive">
            <caption class="visually-hidden">Webhook endpoints</caption>
            <thead>
              <tr>
                <th scope="col">Endpoint</th>
                <th scope="col">Events</th>
                <th scope="col">State</th>
                <th scope="col">Since</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((w) => (
                <tr key={w.id}>
                  <td data-label="Endpoint">
                    <span class="cell-main">{w.url}</span>
                    {w.description && <span class="cell-sub">{w.description}</span>}
                  </td>
                  <td data-label="Events">{w.events.join(', ')}</td>
                  <td data-label="State">
                    {w.enabled ? (
                      <Badge tone={w.consecutiveFailures > 0 ? 'warning' : 'success'}>
                        {w.consecutiveFailures > 0 ? `${w.consecutiveFailures} failed` : 'Active'}
                      </Badge>
                    ) : (
                      <Badge tone="danger">{w.disabledReason ? 'Disabled after failures' : 'Disabled'}</Badge>
                    )}
                  </td>
                  <td data-label="Since">{formatDate(w.createdAt, false)}</td>
                  <td class="row-actions">
                    <button type="button" class="button button-small" onClick={() => roll(w)} aria-label={`Roll secret of ${w.url}`}>
                      Roll secret
                    </button>{' '}
                    <button type="button" class="button button-small button-danger-ghost" onClick={() => setDeleting(w)} aria-label={`Delete ${w.url}`}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Dialog title="Add a webhook endpoint" open={creating} onClose={() => setCreating(false)}>
        <form onSubmit={create.onSubmit}>
          <Field label="URL" name="url" type="url" placeholder="https://hooks.example.com/portcullis" required error={create.fieldError('url')} />
          <Field label="Description" name="description" autoComplete="off" />
          <fieldset class="field">
            <legend>Events</legend>
            {EVENTS.map(([value, label]) => (
              <label key={value} class="checkbox">
                <input type="checkbox" name="events" value={value} /> {label} <code>{value}</code>
              </label>
            ))}
          </fieldset>
          <FormFooter form={create} onCancel={() => setCreating(false)} label="Add endpoint" />
        </form>
      </Dialog>
      <ConfirmDialog
        title="Delete this endpoint?"
        open={deleting !== null}
        onClose={() => setDeleting(null)}
        danger
        confirmLabel="Delete endpoint"
        body={deleting && <p>{deleting.url} receives nothing more; its delivery log is deleted.</p>}
        onConfirm={async () => {
          if (!deleting) return;
          await del(`${scope}webhooks/${deleting.id}`);
          toast('Endpoint deleted.');
          list.reload();
        }}
      />
    </>
  );
}
