#!/usr/bin/env bash
# fuzz.sh TIME MINIMIZE: every fuzz target in the module for TIME (a
# duration like 3m or a count like 10000x), stopping at the first finding.
#
# Go 1.26's fuzz coordinator can fail a duration run at its own deadline
# with a bare "context deadline exceeded" and no input written
# (go.dev/issue/75804). Such a run is repeated once; a real finding always
# prints "Failing input written to" and fails at once.
set -uo pipefail
GO=${GO:-go}
time=${1:?usage: fuzz.sh TIME MINIMIZE}
min=${2:-50x}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run() { # pkg target
  "$GO" test -run '^$' -fuzz "^$2\$" -fuzztime "$time" -fuzzminimizetime "$min" "$1" 2>&1 | tee "$log"
  return "${PIPESTATUS[0]}"
}

deadline_race() {
  grep -q 'context deadline exceeded' "$log" &&
    ! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$log"
}

for pkg in $("$GO" list ./...); do
  for target in $("$GO" test -list '^Fuzz' "$pkg" | grep '^Fuzz'); do
    echo "== $pkg $target"
    run "$pkg" "$target" && continue
    if deadline_race; then
      echo "== $pkg $target: the coordinator's deadline race (go.dev/issue/75804), no input written; once more"
      run "$pkg" "$target" && continue
    fi
    exit 1
  done
done
