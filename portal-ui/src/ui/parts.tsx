// Small building blocks every page uses: labelled fields with their errors, page headers, empty states,
// badges, the copy button, a loader for GET answers and a submit helper for forms.

import type {
  ComponentChildren,
  InputHTMLAttributes,
  PartialInputHTMLAttributes,
  PartialSelectHTMLAttributes,
  SelectHTMLAttributes,
  TargetedSubmitEvent,
  TextareaHTMLAttributes,
} from 'preact';
import { useCallback, useEffect, useId, useState } from 'preact/hooks';
import { ApiError, type FieldError, get, type Page, pageOf, type Query } from '../api.js';
import { toast } from './toast.js';

export function ErrorText({ message }: { message: string }) {
  if (!message) return null;
  return (
    <p class="form-error" role="alert">
      {message}
    </p>
  );
}

// Preact ties `role` to `type` in its input and select types; these wrappers take no role, hence the Partial types.
type InputProps = Omit<PartialInputHTMLAttributes<HTMLInputElement>, 'label' | 'role'> & {
  label: string;
  name: string;
  hint?: ComponentChildren;
  error?: string | undefined;
};

/**
 * What every form control shares: its label, the hint and the error under it, and the ids that tie
 * them to the control (`aria-describedby`); `control` gets those attributes.
 */
function FieldFrame({
  label,
  hint,
  error,
  control,
}: {
  label: string;
  hint?: ComponentChildren;
  error?: string | undefined;
  control: (a11y: { id: string; 'aria-invalid'?: 'true'; 'aria-describedby'?: string }) => ComponentChildren;
}) {
  const id = useId();
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {control({ id, ...(error ? { 'aria-invalid': 'true' as const } : {}), ...(described ? { 'aria-describedby': described } : {}) })}
      {hint && (
        <p class="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

export function Field({ label, name, hint, error, ...input }: InputProps) {
  return (
    <FieldFrame
      label={label}
      hint={hint}
      error={error}
      control={(a11y) => <input name={name} {...a11y} {...(input as InputHTMLAttributes<HTMLInputElement>)} />}
    />
  );
}

type SelectProps = Omit<PartialSelectHTMLAttributes<HTMLSelectElement>, 'label' | 'role'> & {
  label: string;
  name: string;
  options: [value: string, label: string][];
  /** The option selected at first (a `value` prop would be forced back on every render). */
  initial?: string;
  hint?: ComponentChildren;
};

export function Select({ label, name, options, initial, hint, ...select }: SelectProps) {
  return (
    <FieldFrame
      label={label}
      hint={hint}
      control={(a11y) => (
        <select name={name} {...a11y} {...(select as SelectHTMLAttributes<HTMLSelectElement>)}>
          {options.map(([value, text]) => (
            <option key={value} value={value} selected={initial === undefined ? undefined : value === initial}>
              {text}
            </option>
          ))}
        </select>
      )}
    />
  );
}

type TextAreaProps = Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'label'> & {
  label: string;
  name: string;
  hint?: ComponentChildren;
  error?: string | undefined;
};

export function TextArea({ label, name, hint, error, ...area }: TextAreaProps) {
  return <FieldFrame label={label} hint={hint} error={error} control={(a11y) => <textarea name={name} {...a11y} {...area} />} />;
}

/** `embedded`: a section of a page that has its own h1 (an operator's consumer page): an h2 then. */
export function PageHeader({ title, lead, actions, embedded }: { title: string; lead?: ComponentChildren; actions?: ComponentChildren; embedded?: boolean }) {
  const Heading = embedded ? 'h2' : 'h1';
  return (
    <header class={embedded ? 'page-header page-header-embedded' : 'page-header'}>
      <div>
        <Heading id={embedded ? undefined : 'page-title'} tabIndex={-1}>
          {title}
        </Heading>
        {lead && <p class="lead">{lead}</p>}
      </div>
      {actions && <div class="page-actions">{actions}</div>}
    </header>
  );
}

export function EmptyState({ title, children, action }: { title: string; children?: ComponentChildren; action?: ComponentChildren }) {
  return (
    <div class="empty">
      <svg class="empty-art" viewBox="0 0 64 64" aria-hidden="true">
        <rect x="10" y="16" width="44" height="34" rx="6" />
        <path d="M10 26h44M20 36h14M20 42h22" />
      </svg>
      <h2>{title}</h2>
      {children && <p>{children}</p>}
      {action}
    </div>
  );
}

export function Badge({ tone = 'neutral', children }: { tone?: 'neutral' | 'success' | 'warning' | 'danger' | 'accent'; children: ComponentChildren }) {
  return <span class={`badge badge-${tone}`}>{children}</span>;
}

export function Loading({ label = 'Loading' }: { label?: string }) {
  return (
    <div class="loading" role="status">
      <span class="spinner" aria-hidden="true" />
      {label}…
    </div>
  );
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      class="button button-small"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
          setCopied(true);
          setTimeout(() => setCopied(false), 2000);
        } catch {
          toast('Copying was refused by the browser: select the text and copy it by hand.', 'error');
        }
      }}
    >
      {copied ? 'Copied' : label}
    </button>
  );
}

export interface Resource<T> {
  data: T | undefined;
  error: string;
  loading: boolean;
  reload: () => void;
}

/** Loads `load()` now and whenever a dependency changes; `reload()` loads again. */
export function useResource<T>(load: () => Promise<T>, deps: unknown[]): Resource<T> {
  const [state, setState] = useState<{ data: T | undefined; error: string; loading: boolean }>({ data: undefined, error: '', loading: true });
  const [tick, setTick] = useState(0);
  // The caller names what the loader depends on.
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, error: '', loading: false }),
      (e: unknown) => live && setState({ data: undefined, error: e instanceof ApiError ? e.message : 'Could not load this page.', loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function LoadError({ message, retry }: { message: string; retry: () => void }) {
  return (
    <div class="callout callout-danger" role="alert">
      <p>{message}</p>
      <button type="button" class="button button-small" onClick={retry}>
        Try again
      </button>
    </div>
  );
}

export interface SubmitState {
  busy: boolean;
  error: string;
  fieldError: (name: string) => string | undefined;
  onSubmit: (event: TargetedSubmitEvent<HTMLFormElement>) => void;
}

/** Problems about one field that carry no `errors[]`: shown on that field too. */
const FIELD_OF_CODE: Record<string, string> = { IP_ALLOWLIST_INVALID: 'allowedIps' };

/** Runs `handler(form data)` on submit; shows the problem's detail and per-field errors on failure. */
export function useSubmit(handler: (data: FormData, form: HTMLFormElement) => Promise<void>): SubmitState {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [fields, setFields] = useState<FieldError[]>([]);
  const onSubmit = async (event: TargetedSubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    setBusy(true);
    setError('');
    setFields([]);
    try {
      await handler(new FormData(form), form);
    } catch (e) {
      if (e instanceof ApiError) {
        setError(e.message);
        const field = FIELD_OF_CODE[e.code];
        setFields(e.fieldErrors.length === 0 && field ? [{ field, message: e.message }] : e.fieldErrors);
      } else {
        setError(e instanceof Error ? e.message : 'Something went wrong.');
      }
    } finally {
      setBusy(false);
    }
  };
  const fieldError = (name: string) => fields.find((f) => f.field.replace(/^\//, '') === name)?.message;
  return { busy, error, fieldError, onSubmit };
}

export const text = (data: FormData, name: string) => String(data.get(name) ?? '').trim();

export interface PagedList<T> {
  items: T[];
  error: string;
  loading: boolean;
  /** Null on the last page. */
  nextCursor: string | null;
  more: () => void;
  /** Back to the first page, loaded again. */
  reload: () => void;
}

/** A cursor-paged list (`{ items, nextCursor }`) of `path` with `query`; "more" appends the next page. */
export function usePagedList<T>(path: string, query: Query = {}): PagedList<T> {
  const [cursor, setCursor] = useState<string | null>(null);
  const [earlier, setEarlier] = useState<T[]>([]);
  const key = JSON.stringify(query);
  // A new path or query (`key` stands for the query) starts from the first page again.
  useEffect(() => {
    setEarlier([]);
    setCursor(null);
  }, [path, key]);
  const page = useResource<Page<T>>(async () => pageOf<T>(await get(path, { ...query, cursor })), [path, key, cursor]);
  const items = [...earlier, ...(page.data?.items ?? [])];
  return {
    items,
    error: page.error,
    loading: page.loading,
    nextCursor: page.data?.nextCursor ?? null,
    more: () => {
      setEarlier(items);
      setCursor(page.data?.nextCursor ?? null);
    },
    reload: () => {
      setEarlier([]);
      if (cursor === null) page.reload();
      else setCursor(null);
    },
  };
}

export function LoadMore({ list, label = 'Load more' }: { list: PagedList<unknown>; label?: string }) {
  if (!list.nextCursor) return null;
  return (
    <div class="table-more">
      <button type="button" class="button" disabled={list.loading} onClick={list.more}>
        {label}
      </button>
    </div>
  );
}

/** The end of a dialog's form: the failure, Cancel, and the submit button. */
export function FormFooter({ form, onCancel, label }: { form: SubmitState; onCancel: () => void; label: string }) {
  return (
    <>
      <ErrorText message={form.error} />
      <div class="dialog-actions">
        <button type="button" class="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" class="button button-primary" disabled={form.busy}>
          {label}
        </button>
      </div>
    </>
  );
}
