// Operators: the published APIs and the token signing keys (read-only here; rotation stays in the admin API).

import { get, pageOf } from '../../api.js';
import { useApp } from '../../context.js';
import { formatDate } from '../../format.js';
import { Link } from '../../router.js';
import { Badge, LoadError, Loading, PageHeader, useResource } from '../../ui/parts.js';
import { ScopeChips, TableHead } from '../../ui/table.js';
import { loadApis } from '../reference.js';

interface SigningKey {
  kid: string;
  alg: string;
  state: 'pending' | 'active' | 'retired';
  createdAt: string;
  activatesAt: string;
  retiresAt: string | null;
}

const STATE_TONE = { pending: 'warning', active: 'success', retired: 'neutral' } as const;

export function ApisPage() {
  const { portal } = useApp();
  const apis = useResource(loadApis, []);
  const keys = useResource(async () => pageOf<SigningKey>(await get('admin/signing-keys')).items, []);
  return (
    <>
      <PageHeader title="APIs and signing keys" lead="What the gateway publishes, and the keys its token endpoint signs with." />
      <section class="card table-card" aria-labelledby="apis-title">
        <h2 id="apis-title" class="card-title">
          APIs
        </h2>
        {apis.error ? (
          <LoadError message={apis.error} retry={apis.reload} />
        ) : !apis.data ? (
          <Loading />
        ) : (
          <table class="table responsive">
            <TableHead columns={['Name', 'Base URL', 'Accepts', 'Scopes', 'Reference']} />
            <tbody>
              {apis.data.map((a) => (
                <tr key={a.name}>
                  <td data-label="Name" class="cell-main">
                    {a.name}
                  </td>
                  <td data-label="Base URL">
                    <code>
                      {portal.gatewayUrl}
                      {a.basePath}
                    </code>
                  </td>
                  <td data-label="Accepts">
                    {a.auth.map((m) => (
                      <Badge key={m} tone="accent">
                        {m}
                      </Badge>
                    ))}
                  </td>
                  <td data-label="Scopes">
                    <ScopeChips scopes={a.scopes} none="—" />
                  </td>
                  <td data-label="Reference">
                    {a.hasOpenApi ? <Link href={`/reference/${encodeURIComponent(a.name)}`}>Open</Link> : <span class="muted">None</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section class="card table-card" aria-labelledby="signing-title">
        <h2 id="signing-title" class="card-title">
          Signing keys
        </h2>
        {keys.error ? (
          <LoadError message={keys.error} retry={keys.reload} />
        ) : !keys.data ? (
          <Loading />
        ) : (
          <table class="table responsive">
            <TableHead columns={['Key id', 'Algorithm', 'State', 'Active from', 'Retires']} />
            <tbody>
              {keys.data.map((k) => (
                <tr key={k.kid}>
                  <td data-label="Key id">
                    <code>{k.kid}</code>
                  </td>
                  <td data-label="Algorithm">{k.alg}</td>
                  <td data-label="State">
                    <Badge tone={STATE_TONE[k.state]}>{k.state}</Badge>
                  </td>
                  <td data-label="Active from">{formatDate(k.activatesAt)}</td>
                  <td data-label="Retires">{formatDate(k.retiresAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
