// Modal dialogs on the native <dialog>: showModal() traps focus and makes the page inert; on close the
// focus goes back to the control that opened it. Confirmations put the first focus on "Cancel".

import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import { ErrorText } from './parts.js';

interface DialogProps {
  title: string;
  open: boolean;
  onClose: () => void;
  children: ComponentChildren;
  /** Shown at the bottom; the form inside should carry the primary button. */
  wide?: boolean;
}

export function Dialog({ title, open, onClose, children, wide }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<Element | null>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      opener.current = document.activeElement;
      dialog.showModal();
      const first = dialog.querySelector<HTMLElement>('[data-autofocus], input:not([type=hidden]), select, textarea, button:not(.dialog-close)');
      first?.focus();
    } else if (!open && dialog.open) {
      dialog.close();
    }
  }, [open]);
  return (
    <dialog
      ref={ref}
      class={wide ? 'dialog dialog-wide' : 'dialog'}
      aria-labelledby="dialog-title"
      onClose={() => {
        onClose();
        // Chromium hands focus back by itself; other browsers may leave it on <body>.
        if (document.activeElement === document.body && opener.current instanceof HTMLElement) opener.current.focus();
      }}
    >
      {open && (
        <div class="dialog-body">
          <header class="dialog-header">
            <h2 id="dialog-title">{title}</h2>
            <button type="button" class="dialog-close icon-button" aria-label="Close" onClick={() => ref.current?.close()}>
              ×
            </button>
          </header>
          {children}
        </div>
      )}
    </dialog>
  );
}

interface ConfirmProps {
  title: string;
  body: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  open: boolean;
  onClose: () => void;
  onConfirm: () => Promise<void>;
}

/** A confirmation for a destructive or irreversible action. */
export function ConfirmDialog({ title, body, confirmLabel, danger, open, onClose, onConfirm }: ConfirmProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  useEffect(() => {
    if (open) setError('');
  }, [open]);
  return (
    <Dialog title={title} open={open} onClose={onClose}>
      <div class="dialog-text">{body}</div>
      <ErrorText message={error} />
      <div class="dialog-actions">
        <button type="button" class="button" data-autofocus onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          class={danger ? 'button button-danger' : 'button button-primary'}
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            try {
              await onConfirm();
              onClose();
            } catch (e) {
              setError(e instanceof ApiError ? e.message : 'Something went wrong.');
            } finally {
              setBusy(false);
            }
          }}
        >
          {busy ? 'Working…' : confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
