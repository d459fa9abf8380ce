#!/usr/bin/env bash
# Regenerates the committed studies from scratch: every table, chart and results file
# under reports/studies/ comes out of these two commands. The reading above the tables
# is the *.reading.md beside each study; check it against the new numbers.
#
#   bash reports/studies/regenerate.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --locked --quiet
lockstep="${CARGO_TARGET_DIR:-target}/release/lockstep"
started=$(date +%s)

"$lockstep" tune scenarios/studies/ttl-and-election-timeout.toml \
  --set election_timeout_ms=300,500,1000,2000,3000 --set heartbeat_ms=50,100 \
  --set lease_ttl_s=2,5,10 --seeds 0..200 \
  --out reports/studies/ttl-and-election-timeout \
  --summary reports/studies/ttl-and-election-timeout.md \
  --preface reports/studies/ttl-and-election-timeout.reading.md

"$lockstep" tune scenarios/studies/lock-pause-risk.toml \
  --set lease_ttl_s=1,2,5,10,15 \
  --set 'swarm.for_ms=[500, 500],[2000, 2000],[5000, 5000],[10000, 10000]' \
  --set lock.fencing=false,true --seeds 0..50 \
  --out reports/studies/lock-pause-risk \
  --summary reports/studies/lock-pause-risk.md \
  --preface reports/studies/lock-pause-risk.reading.md

echo "both studies regenerated in $(( $(date +%s) - started )) s"
