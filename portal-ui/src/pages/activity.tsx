// The audit trail: who changed what, when and from where. `path` is `audit-events` for a member,
// `admin/consumers/<id>/audit-events` or `admin/audit-events` for an operator.

import { useState } from 'preact/hooks';
import { useSession } from '../context.js';
import { formatAgo, formatDate } from '../format.js';
import { EmptyState, LoadError, Loading, LoadMore, PageHeader, usePagedList } from '../ui/parts.js';
import { DataTable } from '../ui/table.js';

interface AuditEvent {
  id: string;
  at: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  sourceIp: string | null;
}

function actorLabel(actor: string, userId: string): string {
  if (actor === `portal:${userId}`) return 'You';
  if (actor.startsWith('portal:')) return `Portal user ${actor.slice(7)}`;
  if (actor.startsWith('key_')) return `Admin key ${actor}`;
  return actor;
}

export function ActivityPage({ path = 'audit-events', title = 'Activity', embedded = false }: { path?: string; title?: string; embedded?: boolean }) {
  const session = useSession();
  const [action, setAction] = useState('');
  const page = usePagedList<AuditEvent>(path, { limit: 50, action });
  const events = page.items;
  return (
    <>
      <PageHeader embedded={embedded} title={title} lead="Every change to keys, clients, members and settings, newest first." />
      <form
        class="filters card"
        aria-label="Activity filters"
        onSubmit={(e) => {
          e.preventDefault();
          setAction(String(new FormData(e.currentTarget).get('action') ?? '').trim());
        }}
      >
        <div class="field">
          <label for="activity-action">Action</label>
          <input id="activity-action" name="action" placeholder="e.g. key.revoke" />
        </div>
        <button type="submit" class="button">
          Filter
        </button>
      </form>
      {page.error ? (
        <LoadError message={page.error} retry={page.reload} />
      ) : page.loading && events.length === 0 ? (
        <Loading />
      ) : events.length === 0 ? (
        <EmptyState title="Nothing here yet">Changes to keys, clients and members will be listed here.</EmptyState>
      ) : (
        <DataTable caption={title} columns={['When', 'Action', 'Target', 'By', 'From']} footer={<LoadMore list={page} label="Load older" />}>
          {events.map((e) => (
            <tr key={e.id}>
              <td data-label="When">
                <time dateTime={e.at} title={formatDate(e.at)}>
                  {formatAgo(e.at)}
                </time>
              </td>
              <td data-label="Action">
                <code class="chip">{e.action}</code>
              </td>
              <td data-label="Target">
                <span class="muted">{e.targetType}</span> <code>{e.targetId}</code>
              </td>
              <td data-label="By">{actorLabel(e.actor, session.user.id)}</td>
              <td data-label="From">{e.sourceIp ?? '—'}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </>
  );
}
