// Operators: the people who run the gateway; another operator invites them by email, and disables
// or enables their accounts.

import { useState } from 'preact/hooks';
import { get, pageOf, post } from '../../api.js';
import { useSession } from '../../context.js';
import { formatDate } from '../../format.js';
import { AccountAccessButton } from '../../ui/account-access.js';
import { Dialog } from '../../ui/dialog.js';
import { Badge, Field, FormFooter, LoadError, Loading, PageHeader, text, useResource, useSubmit } from '../../ui/parts.js';
import { SecretPanel } from '../../ui/secret.js';
import { DataTable } from '../../ui/table.js';
import { toast } from '../../ui/toast.js';

interface Operator {
  id: string;
  email: string;
  disabled?: boolean;
  createdAt?: string;
}

export function OperatorsPage() {
  const session = useSession();
  const list = useResource(async () => pageOf<Operator>(await get('admin/operators')).items, []);
  const [inviting, setInviting] = useState(false);
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);
  const invite = useSubmit(async (data) => {
    const email = text(data, 'email');
    const answer = await post<{ invitation?: { url?: string }; url?: string }>('admin/operators', { email });
    setInviting(false);
    const url = answer?.invitation?.url ?? answer?.url;
    if (url) setLink({ email, url });
    else toast(`Invitation sent to ${email}.`);
    list.reload();
  });
  return (
    <>
      <PageHeader
        title="Operators"
        lead="Operators act on every consumer. Machines use admin API keys instead."
        actions={
          <button type="button" class="button button-primary" onClick={() => setInviting(true)}>
            Invite operator
          </button>
        }
      />
      {link && <SecretPanel label="invitation link" value={link.url} extra={[['For', link.email]]} onDone={() => setLink(null)} />}
      {list.error ? (
        <LoadError message={list.error} retry={list.reload} />
      ) : !list.data ? (
        <Loading />
      ) : (
        <DataTable caption={'Operators'} columns={['Email', 'Since']} actions>
          {list.data.map((o) => (
            <tr key={o.id}>
              <td data-label="Email">
                {o.email} {o.id === session.user.id && <Badge tone="accent">You</Badge>}
                {o.disabled && <Badge tone="warning">Disabled</Badge>}
              </td>
              <td data-label="Since">{formatDate(o.createdAt, false)}</td>
              <td class="row-actions">
                {o.id !== session.user.id && <AccountAccessButton userId={o.id} email={o.email} disabled={o.disabled === true} onChanged={list.reload} />}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      <Dialog title="Invite an operator" open={inviting} onClose={() => setInviting(false)}>
        <form onSubmit={invite.onSubmit}>
          <Field label="Email" name="email" type="email" required autoComplete="off" error={invite.fieldError('email')} />
          <FormFooter form={invite} onCancel={() => setInviting(false)} label="Send invitation" />
        </form>
      </Dialog>
    </>
  );
}
