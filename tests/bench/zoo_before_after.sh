#!/usr/bin/env bash
# Benchmark (not a test): the zoo before and after a change. Every model of ZOO (default ~/zoo, made by
# ../shared/zoo/export_zoo.py) is compiled with NEW (llvm and cranelift) and checked against its reference;
# the LLVM libraries of BASE and NEW are timed beside ONNX Runtime, interleaved, 2 rounds of 15 runs, 1 thread.
# Usage: BASE=/path/old-vitc NEW=/path/new-vitc tests/bench/zoo_before_after.sh [ZOO]   (both built with --features llvm)
set -uo pipefail
zoo=$(cd "${1:-$HOME/zoo}" && pwd) || exit 2; out=$(mktemp -d)
base=$(realpath "${BASE:?set BASE to the old vitc}"); new=$(realpath "${NEW:?set NEW to the new vitc}")
cd "$(dirname "$0")/../.."
py=${PYTHON:-.venv/bin/python}; cmp=../shared/bench/compare.py; ortb=../shared/bench/ort_bench.py
ms() { sed -n 's/.*"median_ms": \([0-9.]*\).*/\1/p'; }
for f in $zoo/*.onnx; do
  m=$(basename $f .onnx); ref=${f%.onnx}
  [[ -f $ref.input.npy && -f $ref.output.npy ]] || continue
  row="$m"
  for b in llvm cranelift; do
    if timeout 600 $new compile $f -o $out/${m}_new_$b.so --backend $b > $out/$m.$b.log 2>&1 \
       && timeout 300 $new run $out/${m}_new_$b.so --input $ref.input.npy --output $out/$m.$b.npy >> $out/$m.$b.log 2>&1 \
       && $py $cmp $out/$m.$b.npy $ref.output.npy >> $out/$m.$b.log 2>&1; then row="$row $b=PASS"; else row="$row $b=FAIL($(grep -m1 -iE 'error|fail' $out/$m.$b.log | cut -c1-120))"; fi
  done
  if timeout 600 $base compile $f -o $out/${m}_base_llvm.so --backend llvm > $out/$m.base.log 2>&1 && [[ -f $out/${m}_new_llvm.so ]]; then
    b=() n=() o=()
    for _ in 1 2; do
      b+=("$($new bench $out/${m}_base_llvm.so --threads 1 --warmup 3 --runs 15 2>/dev/null | ms)")
      n+=("$($new bench $out/${m}_new_llvm.so --threads 1 --warmup 3 --runs 15 2>/dev/null | ms)")
      o+=("$($py $ortb $f --threads 1 --warmup 3 --runs 15 2>/dev/null | ms)")
    done
    row="$row $($py -c "import statistics as s,sys; a,b,c=[[float(x) for x in v.split()] for v in sys.argv[1:4]]; print(f'base {s.median(a):.2f} new {s.median(b):.2f} ort {s.median(c):.2f} new/base {s.median(b)/s.median(a):.3f} new/ort {s.median(b)/s.median(c):.2f}')" "${b[*]}" "${n[*]}" "${o[*]}")"
  else row="$row base=none"; fi
  echo "$row"
  rm -f $out/${m}_*.so
done
