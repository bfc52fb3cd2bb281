// The commented portcullis.yaml that `portcullis init` writes.
export const SAMPLE_CONFIG = `# Portcullis configuration. Every value can be overridden by an environment variable named
# after its path: store → PORTCULLIS_STORE, admin.port → PORTCULLIS_ADMIN_PORT,
# keys.cache.ttl → PORTCULLIS_KEYS_CACHE_TTL. Durations: 250ms, 5s, 10m, 1h, 7d (a number = seconds).

# Public listener: the gateway and the OAuth endpoints.
listen:
  host: 0.0.0.0
  port: 8080

# Admin API listener. Keep it on a private interface.
admin:
  host: 127.0.0.1
  port: 8081
  bodyLimit: 1048576        # bytes; larger bodies get 413

# sqlite:PATH (embedded, the default) or postgres://user@host:5432/db (many nodes)
store: sqlite:./.portcullis/portcullis.db

# Optional: shared rate limits and cache invalidation across nodes.
# redis: redis://127.0.0.1:6379

# Public base URL of this deployment (the OAuth issuer).
# issuer: https://api.example.com

keys:
  prefix: pcl               # keys look like pcl_<36 characters>
  cache:
    maxEntries: 100000      # verified keys kept in memory (0 turns the cache off)
    ttl: 30s                # how long a verified key is trusted without asking the store
    negativeTtl: 2s         # how long an unknown key is remembered as unknown
  lastUsedFlushInterval: 10s

log:
  level: info               # fatal, error, warn, info, debug, trace, silent

# The public listener's data plane (see docs/gateway.md).
gateway:
  realm: portcullis         # WWW-Authenticate: Bearer realm="portcullis"
  maxBodySize: 16777216     # bytes; larger request bodies get 413
  maxHeaderSize: 16384      # bytes; a larger request head gets 431
  trustProxy: false         # true behind a load balancer that sets X-Forwarded-*
  accessLog: true           # one log line per request

# APIs published through the gateway. The longest matching basePath wins.
apis:
  - name: orders
    basePath: /orders
    upstream: http://127.0.0.1:3000
    auth: [api-key, jwt]    # Authorization: Bearer <key or JWT>, or X-API-Key: <key>
    scopes: [orders:read]   # needed on every request (with openapi: in addition to each operation's)
    # openapi: ./orders.openapi.yaml   # operations and their security/scopes; others get 404
    # passThrough: false     # with openapi: proxy paths the document does not list
    # apiKeyHeader: X-API-Key
    # stripBasePath: false   # true: /orders/42 reaches the upstream as /42
    # audience: https://api.example.com/orders   # JWTs must carry this aud
    timeout: { connect: 5s, headers: 30s, body: 30s }
    # cors: { origins: [https://app.example.com], credentials: false }
`;
