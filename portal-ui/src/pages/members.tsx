// The people of one consumer: invite (the link is shown once, and emailed), change roles, remove;
// an operator also disables and enables their accounts.
// `scope` '' = an owner's own consumer (`members`); `admin/consumers/<id>/` for an operator.

import { useState } from 'preact/hooks';
import { del, get, pageOf, patch, post } from '../api.js';
import { useSession } from '../context.js';
import { formatDate } from '../format.js';
import { AccountAccessButton } from '../ui/account-access.js';
import { ConfirmDialog, Dialog } from '../ui/dialog.js';
import { Badge, EmptyState, Field, FormFooter, LoadError, Loading, PageHeader, Select, text, useResource, useSubmit } from '../ui/parts.js';
import { SecretPanel } from '../ui/secret.js';
import { DataTable, RowAction } from '../ui/table.js';
import { toast } from '../ui/toast.js';

interface Member {
  id: string;
  userId?: string;
  email: string;
  role: 'owner' | 'developer';
  disabled?: boolean;
  status?: string;
  createdAt?: string;
  acceptedAt?: string | null;
}

const ROLES: [string, string][] = [
  ['developer', 'Developer — keys, clients, usage'],
  ['owner', 'Owner — also manages members'],
];

export function MembersPage({ scope = '', title = 'Members', embedded = false }: { scope?: string; title?: string; embedded?: boolean }) {
  const session = useSession();
  const operatorView = scope.startsWith('admin/');
  const list = useResource(async () => pageOf<Member>(await get(`${scope}members`)).items, [scope]);
  const [inviting, setInviting] = useState(false);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);
  const invite = useSubmit(async (data) => {
    const email = text(data, 'email');
    const answer = await post<{ invitation?: { url?: string } }>(`${scope}members`, { email, role: text(data, 'role') });
    setInviting(false);
    if (answer?.invitation?.url) setLink({ email, url: answer.invitation.url });
    else toast(`Invitation sent to ${email}.`);
    list.reload();
  });
  const changeRole = async (m: Member, role: string) => {
    try {
      await patch(`${scope}members/${m.id}`, { role });
      toast(`${m.email} is now ${role === 'owner' ? 'an owner' : 'a developer'}.`);
    } catch (e) {
      toast(e instanceof Error ? e.message : 'The role could not be changed.', 'error');
    }
    list.reload();
  };
  const inviteButton = (
    <button type="button" class="button button-primary" onClick={() => setInviting(true)}>
      Invite member
    </button>
  );
  return (
    <>
      <PageHeader
        embedded={embedded}
        title={title}
        lead="Owners invite people and choose their role. Everyone here sees the same keys, clients and usage."
        actions={inviteButton}
      />
      {link && <SecretPanel label="invitation link" value={link.url} extra={[['For', link.email]]} onDone={() => setLink(null)} />}
      {list.error ? (
        <LoadError message={list.error} retry={list.reload} />
      ) : !list.data ? (
        <Loading />
      ) : list.data.length === 0 ? (
        <EmptyState title="No members yet" action={inviteButton}>
          Invite the first person; they choose their password from the email.
        </EmptyState>
      ) : (
        <DataTable caption={title} columns={['Email', 'Role', 'Since']} actions>
          {list.data.map((m) => {
            const self = m.userId ? m.userId === session.user.id : m.email === session.user.email;
            return (
              <tr key={m.id}>
                <td data-label="Email">
                  <span class="cell-main">{m.email}</span> {self && <Badge tone="accent">You</Badge>}{' '}
                  {m.status && m.status !== 'active' && <Badge tone="warning">{m.status}</Badge>}
                  {m.disabled && <Badge tone="warning">Disabled</Badge>}
                </td>
                <td data-label="Role">
                  <label class="visually-hidden" for={`role-${m.id}`}>
                    Role of {m.email}
                  </label>
                  <select id={`role-${m.id}`} class="inline-select" disabled={self} onChange={(e) => changeRole(m, e.currentTarget.value)}>
                    <option value="developer" selected={m.role === 'developer'}>
                      Developer
                    </option>
                    <option value="owner" selected={m.role === 'owner'}>
                      Owner
                    </option>
                  </select>
                </td>
                <td data-label="Since">{formatDate(m.acceptedAt ?? m.createdAt, false)}</td>
                <td class="row-actions">
                  {!self && operatorView && m.userId && (
                    <AccountAccessButton userId={m.userId} email={m.email} disabled={m.disabled === true} onChanged={list.reload} />
                  )}{' '}
                  {!self && <RowAction label="Remove" name={`Remove ${m.email}`} danger onClick={() => setRemoving(m)} />}
                </td>
              </tr>
            );
          })}
        </DataTable>
      )}
      <Dialog title="Invite a member" open={inviting} onClose={() => setInviting(false)}>
        <form onSubmit={invite.onSubmit}>
          <Field label="Email" name="email" type="email" autoComplete="off" required error={invite.fieldError('email')} />
          <Select label="Role" name="role" options={ROLES} />
          <FormFooter form={invite} onCancel={() => setInviting(false)} label="Send invitation" />
        </form>
      </Dialog>
      <ConfirmDialog
        title="Remove this member?"
        open={removing !== null}
        onClose={() => setRemoving(null)}
        danger
        confirmLabel="Remove member"
        body={removing && <p>{removing.email} loses access at once and is signed out. Keys and clients stay.</p>}
        onConfirm={async () => {
          if (!removing) return;
          await del(`${scope}members/${removing.id}`);
          toast(`${removing.email} removed.`);
          list.reload();
        }}
      />
    </>
  );
}
