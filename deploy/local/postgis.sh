#!/usr/bin/env bash
# A throwaway PostgreSQL 15 + PostGIS 3 cluster from Debian's packages, on loopback, run as the `postgres` user
# (as the current user when not root, who is then its superuser). Its data and socket directories live in a
# directory made with mktemp under /tmp that user can reach (a clone under /root is not reachable by it); its path,
# the state, the password and a link to the log are in $ALLERTA_STATE_DIR/postgis.
# Extensions postgis and pg_trgm are created in template1, so every database is spatial.
#
# Usage: deploy/local/postgis.sh install|start|stop|restart|status|clean|url|psql [ARGS]
# Environment:
#   ALLERTA_PG_PORT      port (default 55432)
#   ALLERTA_PG_DURABLE   1 to keep fsync and synchronous commit on (default off: a throwaway cluster)
#   ALLERTA_STATE_DIR    state (default <repo>/.allerta)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_VERSION=15
PGBIN="/usr/lib/postgresql/$PG_VERSION/bin"
PACKAGES="postgresql-$PG_VERSION postgresql-$PG_VERSION-postgis-3 postgresql-$PG_VERSION-postgis-3-scripts"
DIR="$ALLERTA_STATE_DIR/postgis"
# A cluster started before keeps its port unless told otherwise.
PORT="${ALLERTA_PG_PORT:-$(cat "$DIR/port" 2>/dev/null || echo 55432)}"
# The cluster's directory: made by mktemp when the cluster is first created (no other user can have prepared it) and
# recorded, so that every later command finds it.
BASE="$(cat "$DIR/base" 2>/dev/null || true)"
set_paths() {
    DATA="$BASE/data"
    SOCKETS="$BASE/run"
    LOG="$BASE/postgres.log"
}
set_paths
DB=allerta
USER_NAME=allerta
# local connections authenticate by the operating system's user (peer): the superuser is the cluster's owner
SUPERUSER=postgres
[ "$(id -u)" = 0 ] || SUPERUSER="$(id -un)"

usage() {
    sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# as_pg CMD...: runs a command as the cluster's owner.
as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

install() {
    if [ -x "$PGBIN/initdb" ] && [ -f "/usr/share/postgresql/$PG_VERSION/extension/postgis.control" ] \
        && [ -f "/usr/share/postgresql/$PG_VERSION/extension/pg_trgm.control" ]; then
        return 0
    fi
    if [ "$(id -u)" != 0 ]; then
        fail "PostgreSQL $PG_VERSION with PostGIS 3 is missing. As root, run:
    apt-get update && apt-get install -y --no-install-recommends $PACKAGES"
    fi
    say "Installing $PACKAGES with apt ..."
    (
        flock 9
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
    ) 9>/tmp/allerta-apt.lock || fail "apt-get could not install $PACKAGES"
    # Debian's package starts a default cluster on 5432; Allerta does not use it.
    if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q "^$PG_VERSION main .* online"; then
        pg_ctlcluster "$PG_VERSION" main stop || true
    fi
}

password() {
    if [ ! -s "$DIR/password" ]; then
        mkdir -p "$DIR"
        (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$DIR/password")
    fi
    cat "$DIR/password"
}

running_pid() {
    local pid
    [ -n "$BASE" ] && [ -f "$DATA/postmaster.pid" ] || return 1
    pid="$(head -n 1 "$DATA/postmaster.pid" | tr -dc '0-9')"
    pid_alive "$pid" || return 1
    # a stale file (the machine restarted) may name a process that got the same number: only a postgres counts
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q postgres || return 1
    printf '%s' "$pid"
}

init_cluster() {
    # configured: done; initialised but interrupted before its configuration was written: made again
    if [ -n "$BASE" ] && [ -f "$DATA/PG_VERSION" ] && { [ -f "$BASE/.configured" ] \
            || grep -q '^# Allerta local cluster' "$DATA/postgresql.conf" 2>/dev/null; }; then
        return 0
    fi
    local pwfile
    if [ -z "$BASE" ] || [ ! -d "$BASE" ]; then
        BASE="$(mktemp -d /tmp/allerta-pg-XXXXXXXX)"
        set_paths
        mkdir -p "$DIR"
        echo "$BASE" >"$DIR/base"
    fi
    rm -rf "$DATA"
    chmod 0755 "$BASE"
    pwfile="$BASE/.pw"
    (umask 077; printf '%s\n' "$(password)" >"$pwfile")
    if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$BASE"; fi
    as_pg "$PGBIN/initdb" -D "$DATA" -U "$SUPERUSER" --pwfile="$pwfile" --auth-local=peer --auth-host=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 --no-sync >"$BASE/initdb.log" 2>&1 \
        || { cat "$BASE/initdb.log" >&2; rm -f "$pwfile"; fail "initdb failed"; }
    rm -f "$pwfile"
    local durable=off
    [ "${ALLERTA_PG_DURABLE:-0}" = 1 ] && durable=on
    as_pg tee -a "$DATA/postgresql.conf" >/dev/null <<CONF
# Allerta local cluster
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCKETS'
max_connections = 200
shared_buffers = 256MB
work_mem = 16MB
maintenance_work_mem = 256MB
fsync = $durable
synchronous_commit = $durable
full_page_writes = $durable
max_wal_size = 2GB
log_min_messages = warning
CONF
    as_pg mkdir -p "$SOCKETS"
    as_pg touch "$BASE/.configured"
    NEW_CLUSTER=1
}

setup_database() {
    local psql=(env PGOPTIONS="-c client_min_messages=warning" psql -h "$SOCKETS" -p "$PORT" -U "$SUPERUSER" -v ON_ERROR_STOP=1 -q)
    as_pg "${psql[@]}" -d template1 -c "CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS pg_trgm;" >/dev/null
    as_pg "${psql[@]}" -d postgres >/dev/null <<SQL
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', '$USER_NAME', '$(password)')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$USER_NAME') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', '$DB', '$USER_NAME')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$DB') \gexec
SQL
}

start() {
    local pid
    if pid="$(running_pid)"; then
        local running_port
        running_port="$(cat "$DIR/port" 2>/dev/null || echo "$PORT")"
        [ "$running_port" = "$PORT" ] \
            || fail "PostGIS is running on 127.0.0.1:$running_port, not $PORT: stop it first to move it (./allerta down)"
        say "PostGIS already running (pid $pid) on 127.0.0.1:$PORT"
        return 0
    fi
    port_open "$PORT" && fail "port $PORT is taken by another process: set ALLERTA_PG_PORT"
    install
    NEW_CLUSTER=0
    init_cluster
    mkdir -p "$DIR"
    ln -sfn "$LOG" "$DIR/postgres.log"
    echo "$BASE" >"$DIR/base"
    echo "$PORT" >"$DIR/port"
    as_pg mkdir -p "$SOCKETS"
    # the port given now, not the one the cluster was created with (ALLERTA_PG_PORT after a clash)
    as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG" -o "-p $PORT" -w -t 60 -s start \
        || { tail -20 "$LOG" >&2; stop; fail "PostgreSQL did not start (log: $LOG)"; }
    setup_database
    say "PostGIS started (pid $(running_pid)) on 127.0.0.1:$PORT, database $DB, user $USER_NAME"
}

stop() {
    local pid i
    if pid="$(running_pid)"; then
        # Fast shutdown of this cluster's postmaster, by its own PID.
        kill -INT "$pid" 2>/dev/null || true
        for ((i = 0; i < 300; i++)); do pid_alive "$pid" || break; sleep 0.1; done
        pid_alive "$pid" && stop_pid "$pid" postgres 10
        say "PostGIS stopped (pid $pid)"
    fi
}

status() {
    local pid
    if pid="$(running_pid)"; then
        say "postgis    running  pid $pid  127.0.0.1:$PORT  db $DB  log $LOG"
    else
        say "postgis    stopped"
        return 3
    fi
}

case "${1:-}" in
    install) install ;;
    start) start ;;
    stop) stop ;;
    restart) stop; start ;;
    status) status ;;
    clean) stop; if [ -n "$BASE" ]; then rm -rf "$BASE"; fi; rm -rf "$DIR"; say "PostGIS data removed${BASE:+ ($BASE)}" ;;
    url) echo "jdbc:postgresql://127.0.0.1:$PORT/$DB" ;;
    password) password ;;
    psql) shift; PGPASSWORD="$(password)" psql -h 127.0.0.1 -p "$PORT" -U "$USER_NAME" -d "$DB" "$@" ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
esac
