#!/usr/bin/env bash
# Benchmark (not a test): vitc's libraries from the LLVM backend (and, for
# reference, the Cranelift one) beside ONNX Runtime on the same machine, same
# thread count, in one run: LeViT-128S and DeiT-tiny at batch 1 with 1 and 2
# threads, and the dynamic-batch LeViT at batch 16 with 2 threads.
# Usage: tests/bench/vs_ort_llvm.sh [ROUNDS]  (needs a vitc with LLVM, as
# `cargo build --release` builds it -- or VITC=path/to/vitc --,
# ../shared/models and onnxruntime: .venv from .ci/setup, or PYTHON=...). Prints one JSON line per
# measurement and, last, the median of the per-round medians.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
vitc=${VITC:-target/release/vitc}
models=../shared/models
# The set-up command's venv has onnxruntime; PYTHON overrides.
py=${PYTHON:-$( [[ -x .venv/bin/python ]] && echo .venv/bin/python || echo python3 )}
out=$(mktemp -d)
for m in levit_128s deit_tiny_patch16_224; do
  "$vitc" compile "$models/$m.onnx" -o "$out/${m}_llvm.so" --backend llvm >/dev/null
  "$vitc" compile "$models/$m.onnx" -o "$out/${m}_cranelift.so" --backend cranelift >/dev/null
done
"$vitc" compile "$models/levit_128s_dynbatch.onnx" -o "$out/levit_128s_dynbatch_llvm.so" --backend llvm --max-batch 16 >/dev/null
for _ in $(seq "$rounds"); do
  for m in levit_128s deit_tiny_patch16_224; do
    for t in 1 2; do
      "$vitc" bench "$out/${m}_llvm.so" --threads "$t" --warmup 10 --runs 40
      "$vitc" bench "$out/${m}_cranelift.so" --threads "$t" --warmup 10 --runs 40
      "$py" "$models/../bench/ort_bench.py" "$models/$m.onnx" --threads "$t" --warmup 10 --runs 40
    done
  done
  "$vitc" bench "$out/levit_128s_dynbatch_llvm.so" --threads 2 --batch 16 --warmup 3 --runs 30
  "$py" "$models/../bench/ort_bench.py" "$models/levit_128s_dynbatch.onnx" --threads 2 --batch 16 --warmup 3 --runs 30
done | tee "$out/all.jsonl"
"$py" - "$out/all.jsonl" <<'PY'
import collections, json, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    if line.startswith("{"):
        j = json.loads(line)
        runs[(j["model"], j["threads"], j.get("batch", 1))].append(j["median_ms"])
for (model, threads, batch), medians in sorted(runs.items()):
    print(f"{model:40} threads {threads} batch {batch:2}: median of medians {statistics.median(medians):8.2f} ms  rounds {medians}")
PY
