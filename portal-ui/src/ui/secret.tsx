// The one place a plaintext key or client secret appears: once, with a copy button and a warning. The
// value lives only in this component's props; nothing stores it (no storage, no URL, no log).

import { useEffect, useRef } from 'preact/hooks';
import { CopyButton } from './parts.js';

export function SecretPanel({ label, value, extra, onDone }: { label: string; value: string; extra?: [string, string][]; onDone: () => void }) {
  const ref = useRef<HTMLElement>(null);
  // After the dialog that created it has closed and handed focus back to its opener.
  useEffect(() => {
    const timer = setTimeout(() => ref.current?.focus(), 0);
    return () => clearTimeout(timer);
  }, []);
  return (
    <section class="secret" ref={ref} tabIndex={-1} aria-labelledby="secret-title">
      <div class="secret-head">
        <svg viewBox="0 0 24 24" class="secret-icon" aria-hidden="true">
          <path d="M12 3 2 21h20L12 3Zm0 6v6m0 3v.01" />
        </svg>
        <div>
          <h2 id="secret-title">Copy your {label} now</h2>
          <p>This is the only time it is shown. We keep only a hash: if you lose it, roll it and use the new one.</p>
        </div>
      </div>
      {extra?.map(([name, v]) => (
        <div class="secret-row" key={name}>
          <span class="secret-label">{name}</span>
          <code class="secret-value">{v}</code>
          <CopyButton text={v} />
        </div>
      ))}
      <div class="secret-row">
        <span class="secret-label">{label[0]!.toUpperCase() + label.slice(1)}</span>
        <code class="secret-value" data-secret>
          {value}
        </code>
        <CopyButton text={value} />
      </div>
      <div class="secret-actions">
        <button type="button" class="button button-primary" onClick={onDone}>
          I have stored it safely
        </button>
      </div>
    </section>
  );
}
