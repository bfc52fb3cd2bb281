// A consumer's webhook endpoints (owners): register one (its signing secret is shown once), see
// whether deliveries succeed in its log and send one again, roll the secret, delete. `scope` '' = the
// owner's own consumer; `admin/consumers/<id>/` with `operator` = an operator's view, which may also let
// an endpoint reach private networks.

import { useState } from 'preact/hooks';
import { del, get, pageOf, post } from '../api.js';
import { formatAgo, formatDate } from '../format.js';
import { ConfirmDialog, Dialog } from '../ui/dialog.js';
import { Badge, EmptyState, Field, FormFooter, LoadError, Loading, PageHeader, text, useResource, useSubmit } from '../ui/parts.js';
import { SecretPanel } from '../ui/secret.js';
import { DataTable, RowAction } from '../ui/table.js';
import { toast } from '../ui/toast.js';

interface Webhook {
  id: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  allowPrivateNetworks?: boolean;
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

interface Delivery {
  id: string;
  eventType: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  createdAt: string;
  attemptLog: { id: string; at: string; statusCode: number | null; error: string | null }[];
}

const DELIVERY_TONE = { delivered: 'success', pending: 'warning', failed: 'danger' } as const;

/** The last attempt's outcome: "HTTP 500", the network error, or nothing yet. */
function lastOutcome(d: Delivery): string {
  const last = d.attemptLog.at(-1);
  if (!last) return 'Not sent yet';
  return last.statusCode ? `HTTP ${last.statusCode}` : (last.error ?? 'No answer');
}

/** One endpoint's delivery log, newest first, with a button to send a message again now. */
function DeliveryLog({ path }: { path: string }) {
  const log = useResource(async () => pageOf<Delivery>(await get(`${path}/deliveries`, { limit: 50 })).items, [path]);
  const retry = async (d: Delivery) => {
    try {
      await post(`${path}/deliveries/${d.id}/retry`);
      toast('Sent again; the log shows the outcome.');
      log.reload();
    } catch (e) {
      toast(e instanceof Error ? e.message : 'The message could not be sent again.', 'error');
    }
  };
  if (log.error) return <LoadError message={log.error} retry={log.reload} />;
  if (!log.data) return <Loading />;
  if (log.data.length === 0) return <p class="dialog-text">No message yet: one is sent when an event it listens to happens.</p>;
  return (
    <DataTable caption="Deliveries" columns={['Event', 'State', 'Last attempt', 'Sent']} actions>
      {log.data.map((d) => (
        <tr key={d.id}>
          <td data-label="Event">
            <code class="cell-main">{d.eventType}</code>
            <code class="cell-sub">{d.id}</code>
          </td>
          <td data-label="State">
            <Badge tone={DELIVERY_TONE[d.status]}>
              {d.status === 'pending' && d.attempts > 0 ? 'Retrying' : d.status[0]!.toUpperCase() + d.status.slice(1)}
            </Badge>
            <span class="cell-sub">
              {d.attempts} {d.attempts === 1 ? 'attempt' : 'attempts'}
              {d.nextAttemptAt && `, next ${formatAgo(d.nextAttemptAt)}`}
            </span>
          </td>
          <td data-label="Last attempt">
            {lastOutcome(d)}
            {d.lastAttemptAt && <span class="cell-sub">{formatDate(d.lastAttemptAt)}</span>}
          </td>
          <td data-label="Sent">{formatDate(d.createdAt)}</td>
          <td class="row-actions">
            <RowAction label="Retry" name={`Send ${d.eventType} ${d.id} again`} onClick={() => retry(d)} />
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

export function WebhooksPage({ scope = '', embedded = false, operator = false }: { scope?: string; embedded?: boolean; operator?: boolean }) {
  const list = useResource(async () => pageOf<Webhook>(await get(`${scope}webhooks`)).items, [scope]);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const [logOf, setLogOf] = useState<Webhook | null>(null);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const create = useSubmit(async (data) => {
    const url = text(data, 'url');
    const events = data.getAll('events').map(String);
    const answer = await post<{ secret: string }>(`${scope}webhooks`, {
      url,
      events,
      description: text(data, 'description'),
      ...(data.get('allowPrivateNetworks') ? { allowPrivateNetworks: true } : {}),
    });
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
        embedded={embedded}
        title="Webhooks"
        lead={
          operator
            ? 'Portcullis POSTs a signed message (Standard Webhooks) to these endpoints when this consumer’s keys, clients or limits change.'
            : 'Portcullis POSTs a signed message (Standard Webhooks) to your endpoints when your keys, clients or limits change.'
        }
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
                    {w.allowPrivateNetworks && <span class="cell-sub">May reach private networks</span>}
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
                    <RowAction label="Deliveries" name={`Deliveries to ${w.url}`} onClick={() => setLogOf(w)} />{' '}
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
          {operator && (
            <label class="checkbox">
              <input type="checkbox" name="allowPrivateNetworks" value="true" /> Allow private networks (loopback, link-local and private addresses)
            </label>
          )}
          <FormFooter form={create} onCancel={() => setCreating(false)} label="Add endpoint" />
        </form>
      </Dialog>
      <Dialog title={logOf ? `Deliveries to ${logOf.url}` : 'Deliveries'} open={logOf !== null} onClose={() => setLogOf(null)} wide>
        {logOf && <DeliveryLog path={`${scope}webhooks/${logOf.id}`} />}
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
