// The signed-in user's account: who they are, change password (which signs out every other session).

import { post } from '../api.js';
import { useSession } from '../context.js';
import { ErrorText, Field, PageHeader, useSubmit } from '../ui/parts.js';
import { toast } from '../ui/toast.js';

export function AccountPage() {
  const session = useSession();
  const change = useSubmit(async (data, form) => {
    const newPassword = String(data.get('newPassword') ?? '');
    if (newPassword !== String(data.get('repeat') ?? '')) throw new Error('The two new passwords differ.');
    await post('password', { currentPassword: String(data.get('currentPassword') ?? ''), newPassword });
    form.reset();
    toast('Password changed. Your other sessions are signed out.');
  });
  return (
    <>
      <PageHeader title="Account" />
      <div class="grid-2">
        <section class="card" aria-labelledby="profile-title">
          <h2 id="profile-title" class="card-title">
            Profile
          </h2>
          <dl class="facts">
            <dt>Email</dt>
            <dd>{session.user.email}</dd>
            {session.membership && (
              <>
                <dt>Organisation</dt>
                <dd>{session.membership.consumerName}</dd>
                <dt>Role</dt>
                <dd>{session.membership.role === 'owner' ? 'Owner — manages members too' : 'Developer'}</dd>
              </>
            )}
            {session.user.role === 'operator' && (
              <>
                <dt>Gateway role</dt>
                <dd>Operator — acts on every consumer</dd>
              </>
            )}
          </dl>
        </section>
        <section class="card" aria-labelledby="password-title">
          <h2 id="password-title" class="card-title">
            Change password
          </h2>
          <form onSubmit={change.onSubmit}>
            <input type="email" name="username" autoComplete="username" value={session.user.email} hidden readOnly />
            <Field label="Current password" name="currentPassword" type="password" autoComplete="current-password" required />
            <Field
              label="New password"
              name="newPassword"
              type="password"
              autoComplete="new-password"
              minLength={12}
              required
              hint="At least 12 characters."
              error={change.fieldError('newPassword')}
            />
            <Field label="Repeat the new password" name="repeat" type="password" autoComplete="new-password" minLength={12} required />
            <ErrorText message={change.error} />
            <button type="submit" class="button button-primary" disabled={change.busy}>
              Change password
            </button>
          </form>
        </section>
      </div>
    </>
  );
}
