// Operators: one consumer — settings (enable/disable, scopes, metadata, limits) and, in tabs, the same
// keys, clients, usage, activity and members pages a member sees, through admin/consumers/<id>/….

import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, pageOf, patch } from '../../api.js';
import { Link } from '../../router.js';
import { AllowedIpsField, allowedIpsOf } from '../../ui/allowed-ips.js';
import { ConfirmDialog } from '../../ui/dialog.js';
import { Badge, ErrorText, Field, LoadError, Loading, Select, TextArea, text, useResource, useSubmit } from '../../ui/parts.js';
import { toast } from '../../ui/toast.js';
import { ActivityPage } from '../activity.js';
import { ClientsPage } from '../clients.js';
import { KeysPage } from '../keys.js';
import { MembersPage } from '../members.js';
import { UsagePage } from '../usage.js';
import { WebhooksPage } from '../webhooks.js';
import type { Consumer } from './consumers.js';

export const CONSUMER_TABS: [string, string][] = [
  ['', 'Settings'],
  ['keys', 'Keys'],
  ['clients', 'Clients'],
  ['usage', 'Usage'],
  ['activity', 'Activity'],
  ['members', 'Members'],
  ['webhooks', 'Webhooks'],
];

async function loadConsumer(id: string): Promise<Consumer> {
  try {
    return await get<Consumer>(`admin/consumers/${id}`);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) throw e;
    // The contract lists consumers through search; find the one with this id there.
    const found = pageOf<Consumer>(await get('admin/consumers', { search: id })).items.find((c) => c.id === id);
    if (!found) throw e;
    return found;
  }
}

function limitBody(limit: string, size: string, field: string) {
  if (!limit) return null;
  const n = Number(limit);
  if (!Number.isInteger(n) || n < 0) throw new Error('A limit is a whole number.');
  return { limit: n, [field]: size };
}

function Settings({ consumer, reload }: { consumer: Consumer; reload: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const rate = consumer.rateLimit as { limit: number; window: string } | null;
  const quota = consumer.quota as { limit: number; period: string } | null;
  const save = useSubmit(async (data) => {
    let metadata: unknown;
    try {
      metadata = JSON.parse(text(data, 'metadata') || '{}');
    } catch {
      throw new Error('Metadata must be a JSON object.');
    }
    await patch(`admin/consumers/${consumer.id}`, {
      scopes: text(data, 'scopes')
        .split(/[\s,]+/)
        .filter(Boolean),
      metadata,
      rateLimit: limitBody(text(data, 'rateLimit'), text(data, 'rateWindow'), 'window'),
      quota: limitBody(text(data, 'quota'), text(data, 'quotaPeriod'), 'period'),
      allowedIps: allowedIpsOf(data),
    });
    toast('Consumer saved.');
    reload();
  });
  return (
    <div class="grid-2">
      <section class="card" aria-labelledby="access-title">
        <h2 id="access-title" class="card-title">
          Access
        </h2>
        <p>
          {consumer.enabled
            ? 'Enabled: its keys and tokens are accepted.'
            : 'Disabled: the gateway refuses its keys and tokens, and its members cannot create credentials.'}
        </p>
        <button type="button" class={consumer.enabled ? 'button button-danger' : 'button button-primary'} onClick={() => setConfirming(true)}>
          {consumer.enabled ? 'Disable consumer' : 'Enable consumer'}
        </button>
      </section>
      <section class="card" aria-labelledby="settings-title">
        <h2 id="settings-title" class="card-title">
          Settings
        </h2>
        <form onSubmit={save.onSubmit}>
          <Field label="Scopes" name="scopes" defaultValue={consumer.scopes.join(' ')} hint="Space-separated." />
          <TextArea
            label="Metadata (JSON)"
            name="metadata"
            rows={4}
            spellcheck={false}
            defaultValue={JSON.stringify(consumer.metadata ?? {}, null, 2)}
            hint="Sent to upstreams in X-Consumer-Metadata."
          />
          <div class="field-row">
            <Field
              label="Rate limit (requests)"
              name="rateLimit"
              type="number"
              min={1}
              defaultValue={rate ? String(rate.limit) : ''}
              hint="Empty: the API's default."
            />
            <Select
              label="per"
              name="rateWindow"
              initial={rate?.window ?? '1m'}
              options={[
                ['1s', 'second'],
                ['1m', 'minute'],
                ['1h', 'hour'],
                ['1d', 'day'],
              ]}
            />
          </div>
          <div class="field-row">
            <Field label="Quota (requests)" name="quota" type="number" min={0} defaultValue={quota ? String(quota.limit) : ''} hint="Empty: no quota." />
            <Select
              label="per"
              name="quotaPeriod"
              initial={quota?.period ?? 'month'}
              options={[
                ['day', 'day'],
                ['month', 'month'],
                ['total', 'in total'],
              ]}
            />
          </div>
          <AllowedIpsField form={save} initial={consumer.allowedIps} who="each of its keys and clients" />
          <ErrorText message={save.error} />
          <button type="submit" class="button button-primary" disabled={save.busy}>
            Save settings
          </button>
        </form>
      </section>
      <ConfirmDialog
        title={consumer.enabled ? `Disable ${consumer.name}?` : `Enable ${consumer.name}?`}
        open={confirming}
        onClose={() => setConfirming(false)}
        danger={consumer.enabled}
        confirmLabel={consumer.enabled ? 'Disable' : 'Enable'}
        body={
          <p>
            {consumer.enabled ? 'Every key and token of this consumer is refused at once, on every gateway node.' : 'Its keys and tokens are accepted again.'}
          </p>
        }
        onConfirm={async () => {
          await patch(`admin/consumers/${consumer.id}`, { enabled: !consumer.enabled });
          toast(consumer.enabled ? 'Consumer disabled.' : 'Consumer enabled.');
          reload();
        }}
      />
    </div>
  );
}

/** The consumer's sections; on a narrow screen the row scrolls, and the current one is kept in sight. */
function Tabs({ consumer, tab }: { consumer: Consumer; tab: string }) {
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    const reveal = () => {
      const nav = ref.current;
      const current = nav?.querySelector<HTMLElement>('[aria-current="page"]');
      if (nav && current) nav.scrollLeft = Math.max(0, current.offsetLeft + current.offsetWidth - nav.clientWidth);
    };
    reveal();
    // A phone turned upright narrows the row under the current tab.
    window.addEventListener('resize', reveal);
    return () => window.removeEventListener('resize', reveal);
  }, [tab]);
  return (
    <nav ref={ref} class="subnav" aria-label={`${consumer.name} sections`}>
      {CONSUMER_TABS.map(([t, label]) => (
        <Link key={t} href={`/admin/consumers/${consumer.id}${t ? `/${t}` : ''}`} aria-current={tab === t ? 'page' : undefined}>
          {label}
        </Link>
      ))}
    </nav>
  );
}

export function ConsumerPage({ id, tab }: { id: string; tab: string }) {
  const consumer = useResource(() => loadConsumer(id), [id]);
  const scope = `admin/consumers/${id}/`;
  if (consumer.error) return <LoadError message={consumer.error} retry={consumer.reload} />;
  if (!consumer.data) return <Loading />;
  const c = consumer.data;
  return (
    <>
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <Link href="/admin/consumers">Consumers</Link> <span aria-hidden="true">/</span> <span>{c.name}</span>
      </nav>
      <header class="consumer-head">
        <h1 id="page-title" tabIndex={-1}>
          {c.name}
        </h1>
        {c.enabled ? <Badge tone="success">Enabled</Badge> : <Badge tone="danger">Disabled</Badge>}
        <code class="muted">{c.id}</code>
      </header>
      <Tabs consumer={c} tab={tab} />
      {tab === '' && <Settings consumer={c} reload={consumer.reload} />}
      {tab === 'keys' && <KeysPage scope={scope} embedded />}
      {tab === 'clients' && <ClientsPage scope={scope} embedded />}
      {tab === 'usage' && <UsagePage scope={scope} embedded />}
      {tab === 'activity' && <ActivityPage path={`${scope}audit-events`} embedded />}
      {tab === 'members' && <MembersPage scope={scope} embedded />}
      {tab === 'webhooks' && <WebhooksPage scope={scope} embedded operator />}
    </>
  );
}
