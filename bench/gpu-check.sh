#!/usr/bin/env bash
# GPU host check for the gpu backend, in one go (must finish within 5 minutes):
#   1. npm install (gpu.js and its webgpu/Dawn binary come from the registry; the optional
#      native `gl` for headless-gl is tried by npm and may fail harmlessly),
#   2. build (wasm + TypeScript),
#   3. the gpu parity tests (test/gpu-kernels.test.ts: gpu.js cpu/webasm modes, the worker
#      bridge, and the real GPU mode when one is found),
#   4. matmul / spline / training-step timings on gpu and wasm (bench/gpu-check.ts),
# and writes everything to one JSON file (default bench/results/gpu-check.json).
#
#   bench/gpu-check.sh [OUT.json]
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-bench/results/gpu-check.json}"
LOG="$(mktemp -t gpu-check-tests.XXXXXX)"
START=$SECONDS
step() { echo "== $1 ($((SECONDS - START)) s)"; }

step "npm install"
timeout 150 npm install --no-audit --no-fund || { echo "npm install failed or timed out" >&2; exit 1; }

step "build"
timeout 60 npm run build || { echo "build failed" >&2; exit 1; }

step "gpu parity tests"
timeout 60 npx uvu dist/test 'gpu-kernels\.test\.js$' 2>&1 | tee "$LOG"
TEST_STATUS=${PIPESTATUS[0]}

step "benchmarks (gpu vs wasm)"
timeout 90 node dist/bench/gpu-check.js --out "$OUT" --test-log "$LOG" --test-status "$TEST_STATUS"
BENCH_STATUS=$?
rm -f "$LOG"

step "done"
[ "$TEST_STATUS" -eq 0 ] && [ "$BENCH_STATUS" -eq 0 ]
