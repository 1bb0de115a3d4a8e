"""vitc: compile vision-transformer image classifiers to native code and run
them on numpy arrays.

    import vitc, numpy as np
    model = vitc.compile("levit_128s.onnx")          # or vitc.compile(arch="levit_128s", weights="w.safetensors")
    logits = model(np.load("levit_128s.input.npy"))  # float32 batch in, logits out
    model = vitc.load("levit.so", threads=2)         # a library compiled before (vitc compile -o levit.so)

Errors raise ``vitc.VitcError`` with vitc's message.
"""

from __future__ import annotations

import os
import tempfile
from typing import NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native
from ._native import VitcError
from .preprocess import IMAGENET_MEAN, IMAGENET_STD, imagenet_class_names, preprocess

__all__ = [
    "Model",
    "TensorInfo",
    "VitcError",
    "compile",
    "load",
    "has_llvm",
    "preprocess",
    "imagenet_class_names",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
]

PathLike = Union[str, "os.PathLike[str]"]


class TensorInfo(NamedTuple):
    """The shape of a model input or output; ``None`` marks the batch axis
    of a model with a dynamic batch."""

    shape: Tuple[Optional[int], ...]
    dtype: str = "float32"


def has_llvm() -> bool:
    """Whether this build of the package has the LLVM backend."""
    return _native.has_llvm()


class Model:
    """A compiled model, loaded with one context (its memory and threads).

    ``model(x)`` runs a float32 batch ``x`` of shape ``(batch, *inputs[0].shape[1:])``
    and returns the logits; batches larger than ``max_batch`` run in chunks.
    Calls release the GIL; one call runs at a time per model.
    """

    def __init__(self, library: "_native.Library", keep: object = None):
        self._lib = library
        # A temporary folder holding the library, removed with the model.
        self._keep = keep

    @staticmethod
    def _info(dims: Sequence[int]) -> TensorInfo:
        return TensorInfo(tuple(None if d < 0 else int(d) for d in dims))

    @property
    def inputs(self) -> list:
        """The input's shape, one entry (vitc models take one image batch)."""
        return [self._info(self._lib.input_dims)]

    @property
    def outputs(self) -> list:
        """The output's shape (the logits)."""
        return [self._info(self._lib.output_dims)]

    @property
    def max_batch(self) -> int:
        """The largest batch of one native call (1 for a static shape)."""
        return self._lib.max_batch

    @property
    def name(self) -> str:
        return self._lib.name

    @property
    def path(self) -> str:
        """The shared library's path."""
        return str(self._lib.path)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        item = tuple(self._lib.input_dims[1:])
        if x.ndim != len(item) + 1 or tuple(x.shape[1:]) != item:
            raise VitcError(f"the input has shape {tuple(x.shape)}; this model takes (batch, {', '.join(map(str, item))})")
        batch = x.shape[0]
        if batch == 0:
            raise VitcError("the input batch is empty")
        out = np.empty((batch, *self._lib.output_dims[1:]), dtype=np.float32)
        step = self._lib.max_batch
        for start in range(0, batch, step):
            end = min(start + step, batch)
            self._lib.run(x[start:end], out[start:end], end - start)
        return out

    def __repr__(self) -> str:
        return f"vitc.Model({self.name!r}, inputs={self.inputs}, outputs={self.outputs}, path={self.path!r})"


def load(path: PathLike, threads: int = 1, name: Optional[str] = None) -> Model:
    """Loads a shared library compiled by vitc (``vitc compile M.onnx -o M.so``)."""
    return Model(_native.Library(os.fspath(path), threads, name))


def compile(
    model: Optional[PathLike] = None,
    *,
    arch: Optional[str] = None,
    weights: Optional[PathLike] = None,
    output: Optional[PathLike] = None,
    backend: Optional[str] = None,
    max_batch: int = 64,
    max_memory: int = 4 << 30,
    threads: int = 1,
    name: Optional[str] = None,
) -> Model:
    """Compiles an ONNX model (or ``arch=`` a built-in architecture with
    ``weights=`` a safetensors file) to a shared library and loads it.

    ``output`` keeps the library (and its C header) at that path; without it
    the library lives in a temporary folder removed with the model.
    ``backend`` is ``"llvm"`` (the default where built) or ``"cranelift"``.
    ``max_batch`` bounds one native call for models with a dynamic batch.
    """
    if backend is None:
        backend = "llvm" if has_llvm() else "cranelift"
    keep = None
    if output is None:
        keep = tempfile.TemporaryDirectory(prefix="vitc-")
        stem = os.path.splitext(os.path.basename(os.fspath(model)))[0] if model is not None else arch
        output = os.path.join(keep.name, f"{stem or 'model'}.so")
    prefix = _native.compile_library(
        os.fspath(output),
        model=os.fspath(model) if model is not None else None,
        arch=arch,
        weights=os.fspath(weights) if weights is not None else None,
        backend=backend,
        max_batch=max_batch,
        max_memory=max_memory,
        name=name,
    )
    return Model(_native.Library(os.fspath(output), threads, prefix), keep)
