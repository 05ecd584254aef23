#!/usr/bin/env bash
# Run the C++ floor on a HepMC3 file (building it first if needed):
#   benchmarks/floor/run.sh FILE.hepmc3 [--read-only]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${BENCH_BUILD:-$HOME/.cache/hepreint-bench}/hepreint-floor"
if [[ ! -x "$bin" || "$here/floor.cc" -nt "$bin" ]]; then
    bash "$here/build.sh" >/dev/null
fi
exec "$bin" "$@"
