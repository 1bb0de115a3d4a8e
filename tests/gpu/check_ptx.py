#!/usr/bin/env python3
"""Checks a vitc PTX bundle on a GPU with CuPy, independently of the Rust launcher.

    vitc compile levit_128s_dynbatch.onnx --target ptx-sm90 --max-batch 256 -o levit.ptx
    python tests/gpu/check_ptx.py levit.ptx --input ../shared/models/levit_128s_dynbatch.input_b16.npy \
        --reference ../shared/models/levit_128s_dynbatch.output_b16.npy
    python tests/gpu/check_ptx.py levit.ptx --bench 256 --torch-model levit_128s   # vs PyTorch eager (timm)

Loads NAME.ptx with cupy.RawModule, NAME.manifest.json and NAME.weights, runs every kernel
in manifest order (grid.z = images), compares the output with the reference by the shared rule
max|ours - ref| <= 1e-4 * max|ref|, and optionally times a batch against PyTorch eager.
Needs: cupy (e.g. cupy-cuda12x), numpy; torch and timm only for --torch-model.
"""

import argparse
import json
import os
import sys
import time

import numpy as np


def load_bundle(ptx_path):
    base = ptx_path[: -len(".ptx")] if ptx_path.endswith(".ptx") else ptx_path
    with open(base + ".manifest.json") as f:
        manifest = json.load(f)
    if manifest.get("format") != "vitc-ptx-manifest" or manifest.get("version") != 1:
        sys.exit(f"{base}.manifest.json: unsupported manifest {manifest.get('format')} v{manifest.get('version')}")
    folder = os.path.dirname(os.path.abspath(ptx_path))
    weights = np.fromfile(os.path.join(folder, manifest["weights"]["file"]), dtype=np.uint8)
    if weights.size != manifest["weights"]["bytes"]:
        sys.exit("the weights file does not have the size the manifest gives")
    with open(ptx_path) as f:
        ptx = f.read()
    return manifest, ptx, weights


class PtxModel:
    def __init__(self, ptx_path, max_images):
        import cupy as cp

        self.cp = cp
        self.manifest, _, weights = load_bundle(ptx_path)
        m = self.manifest
        # RawModule(path=...) loads .ptx/.cubin through the driver (code=... would be CUDA C for NVRTC).
        self.module = cp.RawModule(path=os.path.abspath(ptx_path))
        self.kernels = [(self.module.get_function(k["entry"]), k) for k in m["kernels"]]
        self.stride = m["arena"]["image_stride"]
        self.max_images = max_images if m["batch"]["dynamic"] else 1
        self.arena = cp.zeros(self.stride * self.max_images // 4, dtype=cp.float32)
        self.weights = cp.asarray(weights) if weights.size else cp.zeros(64, dtype=cp.uint8)

    def _image_view(self, tensor, b):
        n = int(np.prod(tensor["dims"]))
        start = (b * self.stride + tensor["offset"]) // 4
        return self.arena[start : start + n]

    def upload(self, x, images):
        t = self.manifest["inputs"][0]
        per = int(np.prod(t["dims"]))
        flat = self.cp.asarray(x.reshape(images, per).astype(np.float32))
        for b in range(images):
            self._image_view(t, b)[...] = flat[b]

    def launch(self, images):
        cp = self.cp
        args = (
            np.uint64(self.arena.data.ptr),
            np.uint64(self.weights.data.ptr),
            np.uint64(self.stride),
        )
        for f, k in self.kernels:
            f((k["grid"][0], k["grid"][1], images), tuple(k["block"]), args)

    def download(self, images):
        t = self.manifest["outputs"][0]
        outs = [self._image_view(t, b).get() for b in range(images)]
        dims = list(t["dims"])
        if self.manifest["batch"]["dynamic"]:
            dims[0] *= images
        return np.concatenate(outs).reshape(dims)

    def run(self, x, images):
        self.upload(x, images)
        self.launch(images)
        self.cp.cuda.runtime.deviceSynchronize()
        return self.download(images)

    def time_kernels(self, images, warmup=10, runs=50):
        cp = self.cp
        for _ in range(warmup):
            self.launch(images)
        cp.cuda.runtime.deviceSynchronize()
        start, end = cp.cuda.Event(), cp.cuda.Event()
        times = []
        for _ in range(runs):
            start.record()
            self.launch(images)
            end.record()
            end.synchronize()
            times.append(cp.cuda.get_elapsed_time(start, end))
        return float(np.median(times))


def torch_eager_ms(name, batch, runs=50):
    import timm
    import torch

    model = timm.create_model(name, pretrained=False).cuda().eval()
    x = torch.randn(batch, 3, 224, 224, device="cuda")
    with torch.no_grad():
        for _ in range(10):
            model(x)
        torch.cuda.synchronize()
        times = []
        for _ in range(runs):
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            s.record()
            model(x)
            e.record()
            torch.cuda.synchronize()
            times.append(s.elapsed_time(e))
    return float(np.median(times))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("ptx")
    p.add_argument("--input", help="input .npy (default: NAME.input.npy beside the model if given by --reference)")
    p.add_argument("--reference", help="reference output .npy")
    p.add_argument("--bench", type=int, metavar="B", help="time the kernels at batch B")
    p.add_argument("--torch-model", help="timm model name to time with PyTorch eager at the same batch")
    a = p.parse_args()

    manifest, _, _ = load_bundle(a.ptx)
    images_needed = max(a.bench or 1, 1)
    x = None
    if a.input:
        x = np.load(a.input)
        per = int(np.prod(manifest["inputs"][0]["dims"]))
        images_needed = max(images_needed, x.size // per)
    model = PtxModel(a.ptx, images_needed)
    if x is not None:
        per = int(np.prod(manifest["inputs"][0]["dims"]))
        images = x.size // per
        y = model.run(x, images)
        print(f"output {y.shape}, top-1 of image 0: {int(np.argmax(y.reshape(images, -1)[0]))}")
        if a.reference:
            ref = np.load(a.reference).astype(np.float64)
            diff = float(np.max(np.abs(y.astype(np.float64).reshape(ref.shape) - ref)))
            scale = float(np.max(np.abs(ref)))
            ok = np.isfinite(y).all() and diff <= 1e-4 * scale
            print(f"max_abs_diff={diff:.3e} max_abs_ref={scale:.4f} rel={diff / scale:.3e}: {'PASS' if ok else 'FAIL'}")
            if not ok:
                sys.exit(1)
    if a.bench:
        if not manifest["batch"]["dynamic"] and a.bench != 1:
            sys.exit("the model has a static batch; compile the dynamic-batch export for --bench B > 1")
        ms = model.time_kernels(a.bench)
        print(json.dumps({"vitc_ptx_ms": round(ms, 4), "batch": a.bench, "images_per_s": round(a.bench / ms * 1e3, 1)}))
        if a.torch_model:
            tms = torch_eager_ms(a.torch_model, a.bench)
            print(json.dumps({"torch_eager_ms": round(tms, 4), "images_per_s": round(a.bench / tms * 1e3, 1),
                              "vitc_speedup": round(tms / ms, 3)}))


if __name__ == "__main__":
    main()
