// First steps with working snippets that carry the member's real key prefix, client id, token URL and the
// APIs' base URLs on this gateway.

import { useState } from 'preact/hooks';
import { get, pageOf } from '../api.js';
import { useApp, useSession } from '../context.js';
import { keyPrefix } from '../format.js';
import { Link } from '../router.js';
import { CopyButton, PageHeader, useResource } from '../ui/parts.js';
import type { Client } from './clients.js';
import type { ApiKey } from './keys.js';
import { loadApis } from './reference.js';

type Lang = 'curl' | 'node' | 'python';
const LANGS: [Lang, string][] = [
  ['curl', 'curl'],
  ['node', 'Node.js'],
  ['python', 'Python'],
];

function Snippets({ id, snippets }: { id: string; snippets: Record<Lang, string> }) {
  const [lang, setLang] = useState<Lang>('curl');
  const select = (l: Lang) => {
    setLang(l);
    document.getElementById(`${id}-tab-${l}`)?.focus();
  };
  return (
    <div class="snippets">
      <div class="tabs" role="tablist" aria-label="Language">
        {LANGS.map(([l, label], i) => (
          <button
            key={l}
            type="button"
            role="tab"
            id={`${id}-tab-${l}`}
            aria-selected={lang === l}
            aria-controls={`${id}-panel`}
            tabIndex={lang === l ? 0 : -1}
            class="tab"
            onClick={() => setLang(l)}
            onKeyDown={(e) => {
              const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
              if (step) select(LANGS[(i + step + LANGS.length) % LANGS.length]![0]);
            }}
          >
            {label}
          </button>
        ))}
      </div>
      <div class="code" id={`${id}-panel`} role="tabpanel" aria-labelledby={`${id}-tab-${lang}`}>
        {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus to scroll by keyboard (axe scrollable-region-focusable) */}
        <pre tabIndex={0}>
          <code>{snippets[lang]}</code>
        </pre>
        <div class="code-copy">
          <CopyButton text={snippets[lang]} />
        </div>
      </div>
    </div>
  );
}

export function GettingStarted() {
  const { portal } = useApp();
  const session = useSession();
  const keys = useResource(async () => pageOf<ApiKey>(await get('keys', { limit: 1 })).items, []);
  const clients = useResource(async () => pageOf<Client>(await get('clients', { limit: 1 })).items, []);
  const apis = useResource(loadApis, []);
  const key = keys.data?.[0];
  const client = clients.data?.[0];
  const api = apis.data?.find((a) => a.auth.includes('api-key')) ?? apis.data?.[0];
  const apiBase = `${portal.gatewayUrl}${api?.basePath ?? '/'}`.replace(/\/$/, '');
  const prefix = keyPrefix(key?.masked);
  const keyVar = `${prefix}…your key…`;
  const clientId = client?.clientId ?? 'cli_…your client id…';

  const keySnippets: Record<Lang, string> = {
    curl: `export API_KEY='${keyVar}'\n\ncurl ${apiBase}/ \\\n  -H "Authorization: Bearer $API_KEY"`,
    node: `// Node.js 18+: fetch is built in\nconst response = await fetch('${apiBase}/', {\n  headers: { Authorization: \`Bearer \${process.env.API_KEY}\` },\n});\nconsole.log(response.status, await response.json());`,
    python: `import os, requests\n\nresponse = requests.get(\n    "${apiBase}/",\n    headers={"Authorization": f"Bearer {os.environ['API_KEY']}"},\n)\nprint(response.status_code, response.json())`,
  };
  const tokenSnippets: Record<Lang, string> = {
    curl: `curl ${portal.tokenUrl} \\\n  -u '${clientId}:'"$CLIENT_SECRET" \\\n  -d grant_type=client_credentials`,
    node: `const response = await fetch('${portal.tokenUrl}', {\n  method: 'POST',\n  headers: {\n    Authorization: 'Basic ' + btoa('${clientId}:' + process.env.CLIENT_SECRET),\n    'Content-Type': 'application/x-www-form-urlencoded',\n  },\n  body: 'grant_type=client_credentials',\n});\nconst { access_token } = await response.json();`,
    python: `import os, requests\n\ntoken = requests.post(\n    "${portal.tokenUrl}",\n    auth=("${clientId}", os.environ["CLIENT_SECRET"]),\n    data={"grant_type": "client_credentials"},\n).json()["access_token"]`,
  };

  return (
    <>
      <PageHeader
        title="Getting started"
        lead={`Welcome${session.membership ? `, ${session.membership.consumerName}` : ''}. Three steps to your first call.`}
      />
      <ol class="steps">
        <li class="card step">
          <h2 class="card-title">Create an API key</h2>
          <p>
            {key ? (
              <>
                You have keys already; they start with <code>{prefix}</code>. Use one you stored, or <Link href="/keys">create another</Link>.
              </>
            ) : (
              <>
                Go to <Link href="/keys">API keys</Link> and create one. Copy it into your secret store: it is shown once.
              </>
            )}
          </p>
        </li>
        <li class="card step">
          <h2 class="card-title">Call {api ? api.name : 'an API'}</h2>
          <p>
            Send the key as a bearer token (or in <code>X-API-Key</code>).{' '}
            {api ? (
              <>
                The API lives at <code>{apiBase}</code>.
              </>
            ) : null}
          </p>
          <Snippets id="key" snippets={keySnippets} />
        </li>
        <li class="card step">
          <h2 class="card-title">Or use OAuth client credentials</h2>
          <p>
            {client ? (
              <>
                Exchange <code>{client.clientId}</code> and its secret for a short-lived token at <code>{portal.tokenUrl}</code>, then send it as a bearer
                token.
              </>
            ) : (
              <>
                <Link href="/clients">Create a client</Link>, then exchange its id and secret for a short-lived token at <code>{portal.tokenUrl}</code>.
              </>
            )}
          </p>
          <Snippets id="token" snippets={tokenSnippets} />
        </li>
      </ol>
      {apis.data && apis.data.length > 0 && (
        <section class="card" aria-labelledby="apis-title">
          <h2 id="apis-title" class="card-title">
            Your APIs
          </h2>
          <ul class="url-list">
            {apis.data.map((a) => (
              <li key={a.name}>
                <span>{a.name}</span>
                <code>
                  {portal.gatewayUrl}
                  {a.basePath}
                </code>
              </li>
            ))}
          </ul>
          <p>
            <Link href="/reference">Browse the API reference</Link>
          </p>
        </section>
      )}
    </>
  );
}
