#!/usr/bin/env python3
"""Classify images with a vitc-compiled shared library, using only ctypes and numpy.

    vitc compile ../../../shared/models/levit_128s.onnx -o levit.so
    python3 classify.py levit.so ../../../shared/models/levit_128s.input.npy [--threads 2] [--output y.npy]

The library's API prefix is read from its `vitc_model_prefix` symbol, so any
library built by `vitc compile -o X.so` works.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import sys

import numpy as np


class VitcError(RuntimeError):
    """A failed call into the library, with its last error message."""


class Model:
    """A vitc model library: shapes, and contexts that run it."""

    def __init__(self, path: str, prefix: str | None = None):
        self._lib = ctypes.CDLL(os.path.abspath(path))
        if prefix is None:
            address = ctypes.addressof(ctypes.c_char.in_dll(self._lib, "vitc_model_prefix"))
            prefix = ctypes.string_at(address).decode()
        self.prefix = prefix

        def fn(name, restype, *argtypes):
            f = getattr(self._lib, f"{prefix}_{name}")
            f.restype, f.argtypes = restype, list(argtypes)
            return f

        floats = ctypes.POINTER(ctypes.c_float)
        self._create = fn("create", ctypes.c_void_p, ctypes.c_int)
        self._run = fn("run", ctypes.c_int, ctypes.c_void_p, floats, floats, ctypes.c_int)
        self._destroy = fn("destroy", None, ctypes.c_void_p)
        self._last_error = fn("last_error", ctypes.c_char_p)
        self.name = fn("name", ctypes.c_char_p)().decode()
        self.max_batch = fn("max_batch", ctypes.c_int)()
        dims = lambda io: [fn(f"{io}_dim", ctypes.c_int, ctypes.c_int)(a)  # noqa: E731
                           for a in range(fn(f"{io}_rank", ctypes.c_int)())]
        # Axis 0 is -1 when the batch is dynamic.
        self.input_dims, self.output_dims = dims("input"), dims("output")
        self.dynamic_batch = self.input_dims[0] == -1

    def last_error(self) -> str:
        return self._last_error().decode()

    def context(self, threads: int = 1) -> "Context":
        return Context(self, threads)


class Context:
    """The model's working memory and `threads` threads; use it from one thread at a time."""

    def __init__(self, model: Model, threads: int):
        self.model = model
        self._ptr = model._create(threads)
        if not self._ptr:
            raise VitcError(f"{model.prefix}_create: {model.last_error()}")

    def run(self, x: np.ndarray) -> np.ndarray:
        m = self.model
        x = np.ascontiguousarray(x, dtype=np.float32)
        item = m.input_dims[1:] if m.dynamic_batch else m.input_dims
        if m.dynamic_batch:
            if list(x.shape[1:]) != item or x.ndim == 0:
                raise ValueError(f"input shape {list(x.shape)}; the model takes [batch, {', '.join(map(str, item))}]")
            batch, out_shape = x.shape[0], [x.shape[0], *m.output_dims[1:]]
        else:
            if list(x.shape) != item:
                raise ValueError(f"input shape {list(x.shape)}; the model takes {item}")
            batch, out_shape = 1, m.output_dims
        y = np.empty(out_shape, dtype=np.float32)
        floats = ctypes.POINTER(ctypes.c_float)
        # A static model runs one call of its compiled shape; a dynamic one up to max_batch images per call.
        calls = [(x, y, 1)] if not m.dynamic_batch else [
            (x[s:s + m.max_batch], y[s:s + m.max_batch], min(m.max_batch, batch - s))
            for s in range(0, batch, m.max_batch)]
        for xs, ys, n in calls:
            status = m._run(self._ptr, xs.ctypes.data_as(floats), ys.ctypes.data_as(floats), n)
            if status != 0:
                raise VitcError(f"{m.prefix}_run failed ({status}): {m.last_error()}")
        return y

    def close(self) -> None:
        if self._ptr:
            self.model._destroy(self._ptr)
            self._ptr = None

    def __enter__(self) -> "Context":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("library", help="a shared library built by `vitc compile -o X.so`")
    ap.add_argument("input", help="input .npy (float32)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--output", help="write the logits to this .npy")
    a = ap.parse_args()
    model = Model(a.library)
    with model.context(a.threads) as ctx:
        logits = ctx.run(np.load(a.input))
    if a.output:
        np.save(a.output, logits)
    for i, row in enumerate(logits.reshape(logits.shape[0], -1)):
        top = np.argsort(-row, kind="stable")[:5]
        print(f"{model.name}[{i}] top-5: " + ", ".join(f"{c} ({row[c]:.4f})" for c in top))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (VitcError, ValueError, OSError) as e:
        print(f"classify: error: {e}", file=sys.stderr)
        sys.exit(2)
