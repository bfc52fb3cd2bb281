// The API reference: the list of published APIs, and for one API its OpenAPI document rendered by Swagger
// UI, which is loaded only on this page (its files are copied into assets/swagger-ui/ by the build). "Try it"
// sends no credential until the member pastes one of their keys into Authorize; it is kept in memory only.

import { useEffect, useRef, useState } from 'preact/hooks';
import { apiUrl, get, pageOf } from '../api.js';
import { useApp } from '../context.js';
import { base, Link } from '../router.js';
import { Badge, EmptyState, LoadError, Loading, PageHeader, useResource } from '../ui/parts.js';

export interface ApiInfo {
  name: string;
  basePath: string;
  auth: string[];
  scopes?: string[];
  hasOpenApi: boolean;
}

export const loadApis = async () => pageOf<ApiInfo>(await get('apis')).items;

export function ReferenceList() {
  const { portal } = useApp();
  const apis = useResource(loadApis, []);
  return (
    <>
      <PageHeader title="API reference" lead="Every API published through this gateway, with its operations and the scopes they need." />
      {apis.error ? (
        <LoadError message={apis.error} retry={apis.reload} />
      ) : !apis.data ? (
        <Loading />
      ) : apis.data.length === 0 ? (
        <EmptyState title="No APIs published yet">The team running this gateway has not published an API yet.</EmptyState>
      ) : (
        <ul class="api-grid">
          {apis.data.map((api) => (
            <li class="card api-card" key={api.name}>
              <h2 class="card-title">{api.name}</h2>
              <code class="api-url">
                {portal.gatewayUrl}
                {api.basePath}
              </code>
              <div class="api-meta">
                {api.auth.map((a) => (
                  <Badge key={a} tone="accent">
                    {a === 'jwt' ? 'OAuth token' : 'API key'}
                  </Badge>
                ))}
              </div>
              {api.hasOpenApi ? (
                <Link href={`/reference/${encodeURIComponent(api.name)}`} class="button button-small">
                  Open reference <span class="visually-hidden">for {api.name}</span>
                </Link>
              ) : (
                <p class="muted">No OpenAPI document.</p>
              )}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

interface SwaggerRequest {
  credentials?: string;
  /** Set by Swagger UI on the request that fetches the document itself. */
  loadSpec?: boolean;
}
type SwaggerUIBundle = (options: Record<string, unknown>) => unknown;

let loading: Promise<SwaggerUIBundle> | null = null;

/** Adds the renderer's stylesheet and script once; later visits reuse them. */
function loadRenderer(): Promise<SwaggerUIBundle> {
  loading ??= new Promise((resolve, reject) => {
    for (const href of [`${base}/assets/swagger-ui/swagger-ui.css`, `${base}/assets/reference.css`]) {
      const css = document.createElement('link');
      css.rel = 'stylesheet';
      css.href = href;
      document.head.append(css);
    }
    const script = document.createElement('script');
    script.src = `${base}/assets/swagger-ui/swagger-ui-bundle.js`;
    script.onload = () => resolve((window as unknown as { SwaggerUIBundle: SwaggerUIBundle }).SwaggerUIBundle);
    script.onerror = () => {
      loading = null;
      reject(new Error('The API reference viewer could not be loaded.'));
    };
    document.head.append(script);
  });
  return loading;
}

export function ReferencePage({ name }: { name: string }) {
  const host = useRef<HTMLDivElement>(null);
  const [error, setError] = useState('');
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let live = true;
    loadRenderer().then(
      (SwaggerUI) => {
        if (!live || !host.current) return;
        SwaggerUI({
          domNode: host.current,
          url: apiUrl(`apis/${encodeURIComponent(name)}/openapi.json`),
          validatorUrl: null,
          deepLinking: false,
          persistAuthorization: false,
          tryItOutEnabled: false,
          // The document comes from the portal's API, with the session. The portal's session cookie is not
          // for the gateway: "try it" sends only what the member authorises.
          requestInterceptor: (request: SwaggerRequest) => {
            if (!request.loadSpec) request.credentials = 'omit';
            return request;
          },
          onComplete: () => {
            // Swagger UI leaves its server picker without a name (axe: select-name).
            host.current?.querySelector('select#servers')?.setAttribute('aria-label', 'Server');
            if (live) setReady(true);
          },
        });
      },
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [name]);
  return (
    <>
      <PageHeader
        title={name}
        lead={
          <>
            <Link href="/reference">All APIs</Link> · To try an operation, choose <strong>Authorize</strong> and paste one of your keys (or an access token). It
            is kept in this tab only and sent only with the requests you run.
          </>
        }
      />
      {error && <LoadError message={error} retry={() => location.reload()} />}
      {!ready && !error && <Loading label="Loading the reference" />}
      <div class="card reference" ref={host} />
    </>
  );
}
