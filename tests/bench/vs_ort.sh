#!/usr/bin/env bash
# Benchmark (not a test): vitc's compiled library, with and without the egg
# rewrites, beside ONNX Runtime on the same machine, same thread count, in one
# run. Usage: tests/bench/vs_ort.sh [ROUNDS]  (needs target/release/vitc,
# ../shared/models and onnxruntime: .venv from .ci/setup, or PYTHON=...). Prints one JSON line per
# measurement and, last, the median of the per-round medians.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
models=../shared/models
# The set-up command's venv has onnxruntime; PYTHON overrides.
py=${PYTHON:-$( [[ -x .venv/bin/python ]] && echo .venv/bin/python || echo python3 )}
out=$(mktemp -d)
for m in levit_128s deit_tiny_patch16_224; do
  target/release/vitc compile "$models/$m.onnx" -o "$out/$m.so" >/dev/null
  target/release/vitc compile "$models/$m.onnx" -o "$out/${m}_norw.so" --after canonical >/dev/null
done
for _ in $(seq "$rounds"); do
  for m in levit_128s deit_tiny_patch16_224; do
    for t in 1 2; do
      target/release/vitc bench "$out/$m.so" --threads "$t" --warmup 10 --runs 40
      target/release/vitc bench "$out/${m}_norw.so" --threads "$t" --warmup 10 --runs 40
      "$py" "$models/../bench/ort_bench.py" "$models/$m.onnx" --threads "$t" --warmup 10 --runs 40
    done
  done
done | tee "$out/all.jsonl"
"$py" - "$out/all.jsonl" <<'PY'
import collections, json, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    if line.startswith("{"):
        j = json.loads(line)
        runs[(j["model"], j["threads"])].append(j["median_ms"])
for (model, threads), medians in sorted(runs.items()):
    print(f"{model:32} threads {threads}: median of medians {statistics.median(medians):7.2f} ms  rounds {medians}")
PY
