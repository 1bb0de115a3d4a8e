"""Makes vit_micro.onnx: a small timm VisionTransformer (random weights,
torch.manual_seed(0); 32×32 input, 8×8 patches, width 64, depth 2, 2 heads,
10 classes) exported by PyTorch's dynamo-based exporter
(`torch.onnx.export(dynamo=True)`) at opset 18, with its input and PyTorch's
output. Needs torch, timm and onnxscript (not part of CI; the files are
committed). Usage: python make_vit_micro.py OUT_DIR"""

import sys
from pathlib import Path

import numpy as np
import timm
import torch

out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
torch.manual_seed(0)
model = timm.models.vision_transformer.VisionTransformer(
    img_size=32, patch_size=8, embed_dim=64, depth=2, num_heads=2, num_classes=10
).eval()
x = torch.from_numpy(np.random.default_rng(0).standard_normal((1, 3, 32, 32), dtype=np.float32))
with torch.no_grad():
    y = model(x)
torch.onnx.export(model, (x,), str(out / "vit_micro.onnx"), dynamo=True, opset_version=18, external_data=False)
np.save(out / "vit_micro.input.npy", x.numpy())
np.save(out / "vit_micro.output.npy", y.numpy())
print("wrote", out / "vit_micro.onnx")
