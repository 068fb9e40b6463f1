#!/usr/bin/env bash
# Creates (or reuses) the Python virtual environment the peers benchmark runs Faust in:
# faust-streaming, fastavro for Avro decoding, and rocksdict for Faust's RocksDB store when it
# installs on this machine (Faust falls back to its memory store otherwise; the benchmark says which).
#
#   scripts/faust-venv.sh          create/update .venv-faust/ and print its python path
#   FAUST_VENV=dir scripts/faust-venv.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${FAUST_VENV:-$root/.venv-faust}"
python="${PYTHON:-python3.11}"
requirements="$root/bench/peers/faust/requirements.txt"
stamp="$venv/.requirements.sha256"

if ! command -v "$python" >/dev/null 2>&1; then
  echo "faust-venv: $python not found; install Python 3.11 or set PYTHON=/path/to/python3" >&2
  exit 1
fi

want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "$venv/bin/python"
  exit 0
fi

echo "faust-venv: creating $venv" >&2
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip >&2
"$venv/bin/python" -m pip install --quiet -r "$requirements" >&2
# RocksDB is optional: a wheel for this platform may not exist.
if "$venv/bin/python" -m pip install --quiet "rocksdict==0.3.29" >&2; then
  echo "faust-venv: rocksdict installed (Faust RocksDB store available)" >&2
else
  echo "faust-venv: rocksdict did not install; Faust will use its memory store" >&2
fi
echo "$want" >"$stamp"
echo "$venv/bin/python"
