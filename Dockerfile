# syntax=docker/dockerfile:1
# Portcullis container image: docs/deployment.md. Build: docker build -t portcullis .
# Two stages: `build` compiles TypeScript, the portal UI and better-sqlite3's native addon (python3,
# make, g++), then prunes the dev dependencies; the runtime stage copies only what `portcullis start`
# reads (dist/src, dist/portal-ui, package.json, production node_modules) and runs as `node` (uid 1000).

FROM node:20-bookworm-slim AS build
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# No lifecycle scripts yet (`prepare` would build before the sources are here); then the native addons.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 esbuild
COPY tsconfig.json ./
COPY src ./src
COPY portal-ui ./portal-ui
COPY scripts ./scripts
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
# The admin listener binds every interface (its default is 127.0.0.1) so that the orchestrator's
# probes reach it; publish only the gateway port. A PORTCULLIS_* variable overrides the config file.
ENV NODE_ENV=production \
    PORTCULLIS_STORE=sqlite:/var/lib/portcullis/portcullis.db \
    PORTCULLIS_ADMIN_HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist/src ./dist/src
COPY --from=build --chown=root:root /app/dist/portal-ui ./dist/portal-ui
# The default config file holds no setting: everything comes from PORTCULLIS_* variables until a real
# file is mounted over it. A file (even an empty one) means production mode, never the demo.
COPY --chown=root:root deploy/portcullis.yaml /etc/portcullis/portcullis.yaml
RUN mkdir -p /var/lib/portcullis && chown node:node /var/lib/portcullis
VOLUME ["/var/lib/portcullis"]
USER node
EXPOSE 8080 8081
STOPSIGNAL SIGTERM
# No curl in the slim image: node itself asks the admin listener's /healthz (needs no admin key).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORTCULLIS_ADMIN_PORT||8081)+'/healthz').then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/src/cli/launch.cjs"]
CMD ["start", "--config", "/etc/portcullis/portcullis.yaml"]
