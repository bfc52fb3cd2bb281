// Operators: search and create consumers; each row opens the consumer's page.

import { useState } from 'preact/hooks';
import { post } from '../../api.js';
import { formatDate } from '../../format.js';
import { Link, navigate } from '../../router.js';
import { AllowedIpsSummary } from '../../ui/allowed-ips.js';
import { Dialog } from '../../ui/dialog.js';
import { Badge, EmptyState, Field, FormFooter, LoadError, Loading, LoadMore, PageHeader, text, usePagedList, useSubmit } from '../../ui/parts.js';
import { DataTable, ScopeChips } from '../../ui/table.js';

export interface Consumer {
  id: string;
  name: string;
  metadata: Record<string, unknown>;
  scopes: string[];
  enabled: boolean;
  rateLimit: unknown;
  quota: unknown;
  allowedIps?: string[];
  createdAt: string;
}

export function ConsumersPage() {
  const [search, setSearch] = useState('');
  const [creating, setCreating] = useState(false);
  const page = usePagedList<Consumer>('admin/consumers', { search });
  const consumers = page.items;
  const create = useSubmit(async (data) => {
    const scopes = text(data, 'scopes')
      .split(/[\s,]+/)
      .filter(Boolean);
    const consumer = await post<Consumer>('admin/consumers', { name: text(data, 'name'), scopes });
    setCreating(false);
    navigate(`/admin/consumers/${consumer.id}`);
  });
  const createButton = (
    <button type="button" class="button button-primary" onClick={() => setCreating(true)}>
      New consumer
    </button>
  );
  return (
    <>
      <PageHeader title="Consumers" lead="The organisations and services that call your APIs." actions={createButton} />
      <form
        class="filters card"
        aria-label="Search consumers"
        onSubmit={(e) => {
          e.preventDefault();
          setSearch(String(new FormData(e.currentTarget).get('search') ?? '').trim());
        }}
      >
        <div class="field field-grow">
          <label for="consumer-search">Search by name or id</label>
          <input id="consumer-search" name="search" type="search" placeholder="acme or con_…" />
        </div>
        <button type="submit" class="button">
          Search
        </button>
      </form>
      {page.error ? (
        <LoadError message={page.error} retry={page.reload} />
      ) : page.loading && consumers.length === 0 ? (
        <Loading />
      ) : consumers.length === 0 ? (
        <EmptyState title={search ? 'No consumer matches' : 'No consumers yet'} action={createButton}>
          {search ? 'Try part of the name or the full id.' : 'Create one, then invite its people.'}
        </EmptyState>
      ) : (
        <DataTable caption={'Consumers'} columns={['Name', 'Status', 'Scopes', 'Created']} footer={<LoadMore list={page} />}>
          {consumers.map((c) => (
            <tr key={c.id}>
              <td data-label="Name">
                <Link href={`/admin/consumers/${c.id}`} class="cell-main">
                  {c.name}
                </Link>
                <code class="cell-sub">{c.id}</code>
              </td>
              <td data-label="Status">
                {c.enabled ? <Badge tone="success">Enabled</Badge> : <Badge tone="danger">Disabled</Badge>}
                <AllowedIpsSummary ips={c.allowedIps} />
              </td>
              <td data-label="Scopes">
                <ScopeChips scopes={c.scopes} none="None" />
              </td>
              <td data-label="Created">{formatDate(c.createdAt, false)}</td>
            </tr>
          ))}
        </DataTable>
      )}
      <Dialog title="New consumer" open={creating} onClose={() => setCreating(false)}>
        <form onSubmit={create.onSubmit}>
          <Field label="Name" name="name" required maxLength={200} placeholder="Acme Corp" error={create.fieldError('name')} />
          <Field label="Scopes" name="scopes" placeholder="orders:read orders:write" hint="Space-separated: the most its keys and clients may hold." />
          <FormFooter form={create} onCancel={() => setCreating(false)} label="Create consumer" />
        </form>
      </Dialog>
    </>
  );
}
