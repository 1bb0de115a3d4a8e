"""Prints the per-op table of docs/conformance.md: for every op of the
generated node cases, how many cases are allowlisted and how many are not,
with the reasons the survey gives. Usage (after the survey):

  VITC_CONFORMANCE_SURVEY=1 cargo test --release -p vitc-tests --test conformance -- --nocapture > survey.txt
  .venv/bin/python tests/conformance/op_table.py survey.txt
"""
import collections
import os
import re
import sys

import onnx

root = os.path.join(os.path.dirname(__file__), "..", "..")
data = os.path.join(root, "conformance-data", "node")
allow = set()
for line in open(os.path.join(os.path.dirname(__file__), "node.txt")):
    line = line.split("#")[0].strip()
    if line:
        allow.add(line)
reasons = {}
for line in open(sys.argv[1]):
    if line.startswith("FAIL "):
        name, why = line[5:].split(": ", 1)
        why = re.sub(r"node '[^']*'", "node", why.strip())
        why = re.sub(r"tensor '[^']*'", "tensor", why)
        why = re.sub(r" \(supported: .*", "", why)
        why = re.sub(r"; supported ops are .*", "", why)
        why = re.sub(r"element \d+: .*", "values differ", why)
        why = re.sub(r"/work/\S+", "(file)", why)
        reasons[name] = why
rows = collections.defaultdict(lambda: [0, collections.Counter()])
for case in sorted(os.listdir(data)):
    if not case.startswith("test_"):
        continue
    model = onnx.load(os.path.join(data, case, "model.onnx"), load_external_data=False)
    ops = [n.op_type for n in model.graph.node]
    op = ops[0] if len(set(ops)) == 1 else case[5:].split("_")[0] + " (expanded)"
    if case in allow:
        rows[op][0] += 1
    else:
        rows[op][1][reasons.get(case, "not in the survey")] += 1
print("| op | allowlisted | excluded | why excluded |")
print("|---|---|---|---|")
for op in sorted(rows, key=str.lower):
    n, why = rows[op]
    text = "; ".join(f"{r} ({k})" for r, k in why.most_common(3))
    if len(why) > 3:
        text += f"; {len(why) - 3} other reasons"
    print(f"| {op} | {n} | {sum(why.values())} | {text} |")
