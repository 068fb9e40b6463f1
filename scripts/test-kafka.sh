#!/usr/bin/env bash
# `npm run test:kafka`: the Kafka suite (test/kafka) against a real broker and a real Schema Registry.
#
# Uses the broker and registry named by MEPHISTO_KAFKA_BROKERS and MEPHISTO_REGISTRY_URL when set
# (e.g. a cluster of your own); otherwise starts the local ones from scripts/kafka.sh and
# scripts/registry.sh if they are not already running, and stops on exit only what it started.
# Extra arguments go to vitest (a file filter, -t NAME, --reporter ...).
set -euo pipefail
cd "$(dirname "$0")/.."

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
fi
if [[ -z "${MEPHISTO_REGISTRY_URL:-}" ]]; then
  ensure registry
  MEPHISTO_REGISTRY_URL="$(scripts/registry.sh status 2>/dev/null)"
fi
export MEPHISTO_KAFKA_BROKERS MEPHISTO_REGISTRY_URL
echo "Kafka suite: brokers $MEPHISTO_KAFKA_BROKERS, registry $MEPHISTO_REGISTRY_URL" >&2

npx vitest run -c vitest.kafka.config.ts "$@"
