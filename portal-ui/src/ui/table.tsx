// The tables of the pages: a card holding a responsive table with a caption for screen readers, its
// column headings and, when rows have buttons, an actions column whose heading only screen readers read.

import type { ComponentChildren } from 'preact';

export function TableHead({ columns, actions = false }: { columns: string[]; actions?: boolean }) {
  return (
    <thead>
      <tr>
        {columns.map((column) => (
          <th scope="col" key={column}>
            {column}
          </th>
        ))}
        {actions && (
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        )}
      </tr>
    </thead>
  );
}

/** `children`: the rows; `footer`: what follows the table in its card (a "Load more" button). */
export function DataTable({
  caption,
  columns,
  actions,
  footer,
  children,
}: {
  caption: string;
  columns: string[];
  actions?: boolean;
  footer?: ComponentChildren;
  children: ComponentChildren;
}) {
  return (
    <div class="card table-card">
      <table class="table responsive">
        <caption class="visually-hidden">{caption}</caption>
        <TableHead columns={columns} {...(actions ? { actions } : {})} />
        <tbody>{children}</tbody>
      </table>
      {footer}
    </div>
  );
}

/** Scopes as chips; `none` says what an empty list means where it is shown. */
export function ScopeChips({ scopes, none }: { scopes: readonly string[] | undefined; none: string }) {
  if (!scopes?.length) return <span class="muted">{none}</span>;
  return (
    <>
      {scopes.map((s) => (
        <code class="chip" key={s}>
          {s}
        </code>
      ))}
    </>
  );
}

/** A row's button; `name` says which row it acts on, for screen readers ("Revoke billing key"). */
export function RowAction({ label, name, danger = false, onClick }: { label: string; name: string; danger?: boolean; onClick: () => void }) {
  return (
    <button type="button" class={danger ? 'button button-small button-danger-ghost' : 'button button-small'} onClick={onClick} aria-label={name}>
      {label}
    </button>
  );
}
