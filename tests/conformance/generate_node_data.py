#!/usr/bin/env python3
"""Write the ONNX backend *node* test cases to disk.

onnx >= 1.23 no longer ships `onnx/backend/test/data/node/*` in its wheel; the
cases are generated from `onnx.backend.test.case.node`. This script writes them
in the classic layout that vitc's conformance harness reads:

    OUT/node/test_NAME/model.onnx
    OUT/node/test_NAME/test_data_set_0/input_0.pb ... output_0.pb

Usage: python3 generate_node_data.py OUT_DIR
"""
import os
import shutil
import sys

import numpy as np
import onnx.backend.test.case.node as node_cases
from onnx import TensorProto, numpy_helper


def write_tensor(path, value, name):
    if isinstance(value, TensorProto):
        proto = value
    elif isinstance(value, np.ndarray) or np.isscalar(value):
        proto = numpy_helper.from_array(np.asarray(value), name)
    else:
        return False  # sequences, maps, optionals: not tensors, vitc skips them
    with open(path, "wb") as f:
        f.write(proto.SerializeToString())
    return True


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    out = os.path.join(sys.argv[1], "node")
    if os.path.exists(out):
        shutil.rmtree(out)
    written = 0
    for case in node_cases.collect_testcases(None):
        case_dir = os.path.join(out, case.name)
        os.makedirs(case_dir)
        with open(os.path.join(case_dir, "model.onnx"), "wb") as f:
            f.write(case.model.SerializeToString())
        for i, (inputs, outputs) in enumerate(case.data_sets):
            ds = os.path.join(case_dir, f"test_data_set_{i}")
            os.makedirs(ds)
            for j, value in enumerate(inputs):
                name = case.model.graph.input[j].name
                write_tensor(os.path.join(ds, f"input_{j}.pb"), value, name)
            for j, value in enumerate(outputs):
                name = case.model.graph.output[j].name
                write_tensor(os.path.join(ds, f"output_{j}.pb"), value, name)
        written += 1
    print(f"wrote {written} node test cases to {out}")


if __name__ == "__main__":
    main()
