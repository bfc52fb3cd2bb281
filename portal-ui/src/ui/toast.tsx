// Toasts: short confirmations and failures, announced by screen readers through an aria-live region
// that is always in the page (a region added together with its text is often not read).

import { useEffect, useState } from 'preact/hooks';

interface Toast {
  id: number;
  text: string;
  kind: 'success' | 'error';
}

let nextId = 1;
let toasts: Toast[] = [];
const listeners = new Set<(list: Toast[]) => void>();

function publish(list: Toast[]) {
  toasts = list;
  for (const listener of listeners) listener(list);
}

export function toast(text: string, kind: Toast['kind'] = 'success'): void {
  const id = nextId++;
  publish([...toasts, { id, text, kind }].slice(-4));
  setTimeout(() => publish(toasts.filter((t) => t.id !== id)), kind === 'error' ? 9000 : 5000);
}

export function Toaster() {
  const [list, setList] = useState(toasts);
  useEffect(() => {
    listeners.add(setList);
    return () => {
      listeners.delete(setList);
    };
  }, []);
  return (
    <section class="toasts" aria-live="polite" aria-label="Notifications">
      {list.map((t) => (
        <div key={t.id} class={`toast toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
          <span class="toast-icon" aria-hidden="true">
            {t.kind === 'error' ? '!' : '✓'}
          </span>
          <span>{t.text}</span>
          <button type="button" class="toast-close" aria-label="Dismiss" onClick={() => publish(toasts.filter((x) => x.id !== t.id))}>
            ×
          </button>
        </div>
      ))}
    </section>
  );
}
