// An operator's "Disable" / "Enable" of a portal account (a member's or another operator's), with a
// confirmation: disabling signs the person out everywhere at once, and they cannot sign in until enabled.

import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { ConfirmDialog } from './dialog.js';
import { RowAction } from './table.js';
import { toast } from './toast.js';

export function AccountAccessButton({ userId, email, disabled, onChanged }: { userId: string; email: string; disabled: boolean; onChanged: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const action = disabled ? 'enable' : 'disable';
  return (
    <>
      <RowAction
        label={disabled ? 'Enable' : 'Disable'}
        name={`${disabled ? 'Enable' : 'Disable'} ${email}`}
        danger={!disabled}
        onClick={() => setConfirming(true)}
      />
      <ConfirmDialog
        title={disabled ? 'Enable this account?' : 'Disable this account?'}
        open={confirming}
        onClose={() => setConfirming(false)}
        danger={!disabled}
        confirmLabel={disabled ? 'Enable account' : 'Disable account'}
        body={
          <p>
            {disabled
              ? `${email} can sign in again.`
              : `${email} is signed out everywhere at once and cannot sign in until an operator enables the account. Keys and clients keep working.`}
          </p>
        }
        onConfirm={async () => {
          await post(`admin/users/${encodeURIComponent(userId)}/${action}`);
          toast(`${email} ${disabled ? 'enabled' : 'disabled'}.`);
          onChanged();
        }}
      />
    </>
  );
}
