#!/usr/bin/env bash
# Runs a command against a real Kafka broker and a real Schema Registry:
#
#   scripts/with-kafka.sh npx vitest run -c vitest.kafka.config.ts   (npm run test:kafka)
#   scripts/with-kafka.sh npx tsx bench/kafka.ts                      (npm run bench:kafka)
#
# Uses the broker and registry named by MEPHISTO_KAFKA_BROKERS and MEPHISTO_REGISTRY_URL when set
# (e.g. a cluster of your own); otherwise starts the local ones from scripts/kafka.sh and
# scripts/registry.sh if they are not already running, exports their addresses, and on exit stops
# only what it started. MEPHISTO_KAFKA_LOCAL=1 tells the command that the broker is the local one
# (so that a test may restart it).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -gt 0 ]] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }

started=()
stop_started() {
  local service
  for service in "${started[@]}"; do scripts/"$service".sh stop || true; done
}
trap stop_started EXIT

# Starts a service unless it runs already; its address is what `status` prints.
ensure() {
  local service="$1"
  if ! scripts/"$service".sh status >/dev/null 2>&1; then
    started+=("$service")
    scripts/"$service".sh start >/dev/null
  fi
}

if [[ -z "${MEPHISTO_KAFKA_BROKERS:-}" ]]; then
  ensure kafka
  MEPHISTO_KAFKA_BROKERS="$(scripts/kafka.sh status 2>/dev/null)"
  export MEPHISTO_KAFKA_LOCAL=1
fi
if [[ -z "${MEPHISTO_REGISTRY_URL:-}" ]]; then
  ensure registry
  MEPHISTO_REGISTRY_URL="$(scripts/registry.sh status 2>/dev/null)"
fi
export MEPHISTO_KAFKA_BROKERS MEPHISTO_REGISTRY_URL
echo "with Kafka at $MEPHISTO_KAFKA_BROKERS and the registry at $MEPHISTO_REGISTRY_URL: $*" >&2

"$@"
