# Shared helpers of Allerta's local infrastructure scripts. Sourced, not run.
# Environment:
#   ALLERTA_STATE_DIR  where state, PIDs and logs go (default: <repo>/.allerta)

ALLERTA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ALLERTA_STATE_DIR="${ALLERTA_STATE_DIR:-$ALLERTA_ROOT/.allerta}"
mkdir -p "$ALLERTA_STATE_DIR"
ALLERTA_STATE_DIR="$(cd "$ALLERTA_STATE_DIR" && pwd)"

say() { printf '%s\n' "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

# pid_alive PID: true when the process exists.
pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# proc_start PID: when the process started (clock ticks since boot): a PID reused after a reboot or in another
# container does not share it.
proc_start() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }

# write_pid FILE PID: records the process and its start time.
write_pid() { printf '%s\n%s\n' "$2" "$(proc_start "$2")" >"$1"; }

# pid_from FILE: the PID recorded in FILE, if that very process is still alive (same start time, so that a stale file
# never names another process that got its number).
pid_from() {
    local file="$1" pid started now
    [ -f "$file" ] || return 1
    pid="$(head -n 1 "$file" 2>/dev/null | tr -dc '0-9')"
    started="$(sed -n 2p "$file" 2>/dev/null | tr -dc '0-9')"
    pid_alive "$pid" || return 1
    if [ -n "$started" ]; then
        now="$(proc_start "$pid")"
        [ "$now" = "$started" ] || return 1
    fi
    printf '%s' "$pid"
}

# port_open PORT: true when something listens on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for_port PORT SECONDS PID: waits until PORT opens; fails if PID dies first.
wait_for_port() {
    local port="$1" seconds="$2" pid="${3:-}" i
    for ((i = 0; i < seconds * 10; i++)); do
        port_open "$port" && return 0
        if [ -n "$pid" ] && ! pid_alive "$pid"; then return 1; fi
        sleep 0.1
    done
    return 1
}

# stop_pid PID NAME [SECONDS]: SIGTERM, wait, then SIGKILL. Only this PID, never a pattern.
stop_pid() {
    local pid="$1" name="$2" seconds="${3:-30}" i
    pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < seconds * 10; i++)); do
        pid_alive "$pid" || return 0
        sleep 0.1
    done
    say "$name (pid $pid) did not stop in ${seconds}s: killing it"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do pid_alive "$pid" || return 0; sleep 0.1; done
}

# mvnw ARGS...: the project's Maven wrapper.
mvnw() { "$ALLERTA_ROOT/mvnw" "$@"; }
