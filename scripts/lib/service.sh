# Shared helpers for the scripts that run a local service in the background (kafka.sh, registry.sh).
# Sourced, not run. Each service keeps its state under .cache/<service>/run: a pid file and a log.

MEPHISTO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MEPHISTO_CACHE="${MEPHISTO_CACHE_DIR:-$MEPHISTO_ROOT/.cache}"

say() { printf '%s: %s\n' "$SERVICE" "$*" >&2; }
die() { say "$*"; exit 1; }

require_java() {
  command -v java >/dev/null || die "java is not on PATH; install a JDK 17+ (apt-get install openjdk-17-jre-headless)"
  local major
  major="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)"
  [[ -n "$major" && "$major" -ge 17 ]] || die "java 17 or newer is needed (found: $(java -version 2>&1 | head -n1))"
}

require_maven() {
  command -v mvn >/dev/null || die "mvn is not on PATH; install Maven (apt-get install maven) to fetch the jars from Maven Central"
}

# The pid in the pid file, if that process is alive.
running_pid() {
  local pid
  [[ -f "$PID_FILE" ]] || return 1
  pid="$(cat "$PID_FILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && { echo "$pid"; return 0; }
  rm -f "$PID_FILE"
  return 1
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# Fails if something else already listens on a port we are about to take.
require_free_port() {
  if port_open "$1" "$2"; then
    die "port $2 on $1 is already taken by another process; stop it or choose another port ($3)"
  fi
}

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND every half second while our process lives.
wait_until() {
  local seconds="$1" what="$2" pid
  shift 2
  local deadline=$((SECONDS + seconds))
  while ((SECONDS < deadline)); do
    if ! pid="$(running_pid)"; then
      say "the process exited before $what; last lines of $LOG_FILE:"
      tail -n 30 "$LOG_FILE" >&2
      exit 1
    fi
    "$@" && return 0
    sleep 0.5
  done
  say "timed out after ${seconds}s waiting until $what; last lines of $LOG_FILE:"
  tail -n 30 "$LOG_FILE" >&2
  stop_service
  exit 1
}

# SIGTERM, then SIGKILL if the JVM has not exited within the grace period.
stop_service() {
  local pid grace="${1:-30}"
  if ! pid="$(running_pid)"; then
    say "not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + grace))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    say "pid $pid did not stop within ${grace}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
  say "stopped (pid $pid)"
}
