#!/usr/bin/env bash
# Benchmark (not a test): the shared models before and after a change, beside ONNX Runtime, in one run.
# BASE and NEW are two vitc binaries built with --features llvm; each model is compiled by both with LLVM
# and Cranelift, and the four libraries and ORT are timed interleaved, 1 thread, 40 runs after 10 warm-up
# runs, ROUNDS rounds (default 3); prints the median of the per-round medians.
# Usage: BASE=/path/old-vitc NEW=/path/new-vitc tests/bench/before_after.sh [ROUNDS]
set -euo pipefail
base=$(realpath "${BASE:?set BASE to the old vitc}"); new=$(realpath "${NEW:?set NEW to the new vitc}")
cd "$(dirname "$0")/../.."
rounds=${1:-3}
py=${PYTHON:-.venv/bin/python}
models=../shared/models
out=$(mktemp -d)
ms="levit_128s deit_tiny_patch16_224 cswin_micro lvt"
for m in $ms; do
  for v in base new; do
    bin=$base; [[ $v == new ]] && bin=$new
    "$bin" compile $models/$m.onnx -o $out/${m}_${v}_llvm.so --backend llvm >/dev/null
    "$bin" compile $models/$m.onnx -o $out/${m}_${v}_cl.so --backend cranelift >/dev/null
  done
done
for _ in $(seq "$rounds"); do
  for m in $ms; do
    for lib in base_llvm new_llvm base_cl new_cl; do
      echo "$lib $("$new" bench $out/${m}_${lib}.so --threads 1 --warmup 10 --runs 40)"
    done
    echo "ort $("$py" $models/../bench/ort_bench.py $models/$m.onnx --threads 1 --warmup 10 --runs 40)"
  done
done | tee $out/all.txt
"$py" - $out/all.txt <<'PY'
import collections, json, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    tag, _, js = line.partition(" ")
    if js.startswith("{"):
        j = json.loads(js)
        runs[(j["model"], tag)].append(j["median_ms"])
for (model, tag), med in sorted(runs.items()):
    print(f"{model:36} {tag:9} median of medians {statistics.median(med):8.2f} ms  rounds {med}")
PY
