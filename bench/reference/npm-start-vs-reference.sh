#!/usr/bin/env bash
# Times `npm start` (ours) against the reference's main job — validate_flows.py --n 20000 and
# visualize_residual_transform.py at their defaults — in the same minutes, as issue 19 compares them.
# Nothing of the reference is in this repository; point at a checkout of it:
#   FNF_REF_DIR      the reference project (github.com/valsdav/factorizable-normalizing-flow), with its
#                    four checkpoints in models/ (e.g. copied from ../shared/reference-models)
#   FNF_REF_PYTHON   a Python with torch (the 2.x wheel), numpy, scipy, matplotlib, pyyaml
#   FNF_ZUKO_PATH    optional: a Zuko source tree put on PYTHONPATH (1.5.x reads the checkpoints'
#                    base._0/_1 keys; 1.6 renamed them)
# Usage: bash bench/reference/npm-start-vs-reference.sh [rounds, default 1] (after npm run build)
set -euo pipefail
: "${FNF_REF_DIR:?set FNF_REF_DIR to the reference checkout}"
py="${FNF_REF_PYTHON:-python3}"
rounds="${1:-1}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
for r in $(seq 1 "$rounds"); do
  t0=$(now)
  (cd "$FNF_REF_DIR" && PYTHONPATH="${FNF_ZUKO_PATH:-}" MPLBACKEND=Agg "$py" validate_flows.py \
    -c configs/base_flows.yaml --sys-cfg configs/systematics.yaml --n 20000 --out-dir "$tmp/ref/val" >/dev/null)
  t1=$(now)
  (cd "$FNF_REF_DIR" && PYTHONPATH="${FNF_ZUKO_PATH:-}" MPLBACKEND=Agg "$py" visualize_residual_transform.py \
    -c configs/base_flows.yaml --sys-cfg configs/systematics.yaml --out-dir "$tmp/ref/vis" >/dev/null)
  t2=$(now)
  (cd "$root" && node dist/src/cli/main.js start --out-dir "$tmp/ours" >/dev/null)
  t3=$(now)
  ref=$(secs "$t0" "$t2")
  ours=$(secs "$t2" "$t3")
  echo "round $r: reference validate $(secs "$t0" "$t1") s + visualize $(secs "$t1" "$t2") s = $ref s;" \
    "npm start $ours s; ratio $(awk -v a="$ours" -v b="$ref" 'BEGIN { printf "%.3f", a / b }')"
  rm -rf "$tmp/ref" "$tmp/ours"
done
