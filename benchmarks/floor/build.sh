#!/usr/bin/env bash
# Build the C++ floor (floor.cc) into $BENCH_BUILD (default ~/.cache/hepreint-bench).
# Needs a C++17 compiler, HepMC3 and FastJet: on Debian/Ubuntu
#   apt-get install g++ libhepmc3-dev libfastjet-dev
# (this script does not install anything; it says what is missing).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${BENCH_BUILD:-$HOME/.cache/hepreint-bench}"
mkdir -p "$out"
command -v "${CXX:-g++}" >/dev/null || { echo "no C++ compiler: apt-get install g++" >&2; exit 2; }
command -v fastjet-config >/dev/null || { echo "no FastJet: apt-get install libfastjet-dev" >&2; exit 2; }
hepmc_cflags="$(pkg-config --cflags HepMC3 2>/dev/null || true)"
hepmc_libs="$(pkg-config --libs HepMC3 2>/dev/null || echo -lHepMC3)"
# only libfastjet is needed (Debian's fastjet-config --libs also names fastjettools, which
# libfastjet-dev does not always ship)
"${CXX:-g++}" -O2 -std=c++17 -o "$out/hepreint-floor" "$here/floor.cc" \
    $hepmc_cflags $(fastjet-config --cxxflags) $hepmc_libs -lfastjet -lm \
    || { echo "build failed: is HepMC3 installed? apt-get install libhepmc3-dev" >&2; exit 2; }
echo "$out/hepreint-floor"
