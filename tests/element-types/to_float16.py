"""Converts an ONNX model to float16 weights and computation with the
onnxconverter-common package, keeping float32 inputs and outputs (the usual
way half-precision models are made). Usage: to_float16.py IN.onnx OUT.onnx"""

import sys
import warnings

import onnx
from onnxconverter_common import float16

warnings.simplefilter("ignore")  # "the float32 number ... will be truncated"
model = float16.convert_float_to_float16(onnx.load(sys.argv[1]), keep_io_types=True)
onnx.save(model, sys.argv[2])
