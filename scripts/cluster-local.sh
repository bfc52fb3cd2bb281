#!/usr/bin/env bash
# The compose.yaml topology without containers: three `portcullis start` processes on one
# PostgreSQL schema and one Redis, on distinct ports. Run `npm run build` first.
#
#   scripts/cluster-local.sh start   # prints the three gateway and admin URLs and the admin key file
#   scripts/cluster-local.sh stop    # SIGTERM to each node, SIGKILL after 10 s
#
# Environment (defaults in brackets):
#   CLUSTER_POSTGRES_URL  [postgres://postgres@127.0.0.1:5432/postgres]  the database; the nodes use
#                         their own schema in it, through the URL's `options=-c search_path=…`
#   CLUSTER_SCHEMA        [portcullis_cluster]  created if missing
#   CLUSTER_REDIS_URL     [redis://127.0.0.1:6379]
#   CLUSTER_UPSTREAM      [http://127.0.0.1:9000]  the upstream of the one API, `demo`, under /demo
#   CLUSTER_BASE_PORT     [18080]  node N listens on BASE+10(N-1) (gateway) and BASE+10(N-1)+1 (admin);
#                         0: every listener on a free port (read the URLs from the output)
#   CLUSTER_DIR           [./.portcullis/cluster]  config, master key, admin key, logs and pids
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
launch="$here/dist/src/cli/launch.cjs"
dir="${CLUSTER_DIR:-./.portcullis/cluster}"
postgres_url="${CLUSTER_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
schema="${CLUSTER_SCHEMA:-portcullis_cluster}"
redis_url="${CLUSTER_REDIS_URL:-redis://127.0.0.1:6379}"
upstream="${CLUSTER_UPSTREAM:-http://127.0.0.1:9000}"
base_port="${CLUSTER_BASE_PORT:-18080}"
nodes=(1 2 3)

die() {
  echo "cluster-local: $*" >&2
  exit 1
}

port_of() { # node, offset
  if [ "$base_port" = 0 ]; then echo 0; else echo $((base_port + 10 * ($1 - 1) + $2)); fi
}

# Waits (at most 30 s) for node $1's "portcullis started" log line and its banner (which holds the
# first admin key on the first start), and prints "gatewayUrl adminUrl".
wait_started() {
  local log="$dir/node$1.log" pid
  pid="$(cat "$dir/node$1.pid")"
  for _ in $(seq 1 300); do
    if grep -q '"msg":"portcullis started"' "$log" 2>/dev/null && grep -q '^Portcullis is running' "$log"; then
      grep -m1 '"msg":"portcullis started"' "$log" |
        node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{const l=JSON.parse(s);console.log(l.gatewayUrl,l.adminUrl)})'
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || {
      tail -n 20 "$log" >&2
      die "node $1 exited during its start (log: $log)"
    }
    sleep 0.1
  done
  die "node $1 did not start within 30 s (log: $log)"
}

start_node() {
  local n="$1"
  [ -f "$dir/node$n.pid" ] && kill -0 "$(cat "$dir/node$n.pid")" 2>/dev/null && die "node $n is running already (pid $(cat "$dir/node$n.pid")); run stop first"
  cat >"$dir/node$n.yaml" <<EOF
# One worker a node: three nodes on this 2-core machine already use every core (docs/deployment.md "Workers").
workers: 1
listen: { host: 127.0.0.1, port: $(port_of "$n" 0) }
admin: { host: 127.0.0.1, port: $(port_of "$n" 1) }
redisKeyPrefix: "portcullis:$schema:"
apis:
  - name: demo
    basePath: /demo
    upstream: $upstream
    stripBasePath: true
EOF
  # The store URL and the master key come from the environment, as in compose.yaml: not in a file.
  PORTCULLIS_STORE="$store_url" PORTCULLIS_REDIS="$redis_url" PORTCULLIS_OAUTH_MASTER_KEY="$(cat "$dir/master.key")" \
    nohup node "$launch" start --config "$dir/node$n.yaml" >"$dir/node$n.log" 2>&1 &
  echo $! >"$dir/node$n.pid"
}

start() {
  [ -f "$launch" ] || die "$launch not found: run npm run build first"
  [[ "$schema" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "CLUSTER_SCHEMA must be a lower-case SQL identifier"
  mkdir -p "$dir"
  chmod 700 "$dir"
  # One master key for every node: each must open the signing keys the others sealed.
  [ -f "$dir/master.key" ] || (umask 077 && node -e 'process.stdout.write(require("node:crypto").randomBytes(32).toString("base64url"))' >"$dir/master.key")
  psql "$postgres_url" -q -v ON_ERROR_STOP=1 -c "create schema if not exists \"$schema\"" >/dev/null
  local separator='?'
  [[ "$postgres_url" == *\?* ]] && separator='&'
  store_url="${postgres_url}${separator}options=-c%20search_path%3D${schema}"
  # Node 1 first (it migrates the schema and creates the first admin key, once), then the other two together.
  start_node 1
  local urls=()
  urls[1]="$(wait_started 1)"
  start_node 2
  start_node 3
  urls[2]="$(wait_started 2)"
  urls[3]="$(wait_started 3)"
  # The admin key node 1 created on a new schema (shown once, in its banner); or a new one.
  [ -s "$dir/admin.key" ] || (umask 077 && sed -n 's/^  PORTCULLIS_ADMIN_KEY=//p' "$dir/node1.log" >"$dir/admin.key")
  if [ ! -s "$dir/admin.key" ]; then
    (umask 077 && PORTCULLIS_STORE="$store_url" node "$launch" admin create-key --name cluster-local --config "$dir/node1.yaml" --json |
      node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>process.stdout.write(JSON.parse(s).key))' >"$dir/admin.key")
  fi
  for n in "${nodes[@]}"; do
    read -r gateway admin <<<"${urls[$n]}"
    echo "node $n: gateway $gateway admin $admin (pid $(cat "$dir/node$n.pid"), log $dir/node$n.log)"
  done
  echo "admin key: $dir/admin.key"
}

stop() {
  local pids=()
  for n in "${nodes[@]}"; do
    [ -f "$dir/node$n.pid" ] || continue
    local pid
    pid="$(cat "$dir/node$n.pid")"
    if kill -TERM "$pid" 2>/dev/null; then pids+=("$pid"); fi
    rm -f "$dir/node$n.pid"
  done
  for _ in $(seq 1 100); do
    local alive=()
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    [ "${#alive[@]}" -eq 0 ] && {
      echo "stopped ${#pids[@]} node(s)"
      return 0
    }
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  echo "stopped (SIGKILL after 10 s)"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) die "usage: scripts/cluster-local.sh start|stop" ;;
esac
