"""The Python package against the shared reference models (``../shared/models``
beside the checkout) and timm's preprocessing (``runtime/preprocess/tests/data``).

    pip install ./python pytest && pytest python/tests
"""

import os
import pathlib
import threading

import numpy as np
import pytest

import vitc

REPO = pathlib.Path(__file__).resolve().parents[2]
MODELS = REPO.parent / "shared" / "models"
IMAGES = REPO / "runtime" / "preprocess" / "tests" / "data"


def model_file(name):
    path = MODELS / name
    # Missing data is a failure, never a skip.
    assert path.exists(), f"{path} is missing: ../shared must sit beside the checkout"
    return path


def assert_matches(ours, ref):
    """The whole-model rule: max|ours - ref| <= 1e-4 * max|ref|."""
    assert ours.shape == ref.shape
    assert np.isfinite(ours).all()
    err = np.abs(ours.astype(np.float64) - ref).max()
    assert err <= 1e-4 * np.abs(ref).max(), f"max abs diff {err}, max|ref| {np.abs(ref).max()}"


@pytest.fixture(scope="module")
def levit():
    return vitc.compile(model_file("levit_128s.onnx"))


def test_levit_matches_onnx_runtime(levit):
    x = np.load(model_file("levit_128s.input.npy"))
    assert_matches(levit(x), np.load(model_file("levit_128s.output.npy")))


def test_describes_inputs_and_outputs(levit):
    assert levit.inputs == [vitc.TensorInfo((1, 3, 224, 224), "float32")]
    assert levit.outputs == [vitc.TensorInfo((1, 1000), "float32")]
    assert levit.max_batch == 1
    assert os.path.exists(levit.path)


def test_dynamic_batch_16_with_two_threads(tmp_path):
    out = tmp_path / "levit_dyn.so"
    model = vitc.compile(model_file("levit_128s_dynbatch.onnx"), output=out, max_batch=16, threads=2)
    assert out.exists() and out.with_suffix(".h").exists()
    assert model.inputs[0].shape == (None, 3, 224, 224)
    x = np.load(model_file("levit_128s_dynbatch.input_b16.npy"))
    assert x.shape[0] == 16
    ref = np.load(model_file("levit_128s_dynbatch.output_b16.npy"))
    assert_matches(model(x), ref)
    # A batch past max_batch runs in chunks; a library loaded again gives the same.
    again = vitc.load(out, threads=1)
    assert_matches(again(np.concatenate([x, x[:5]])), np.concatenate([ref, ref[:5]]))


def test_gil_is_released_while_running(levit):
    x = np.load(model_file("levit_128s.input.npy"))
    ref = np.load(model_file("levit_128s.output.npy"))
    results = []
    threads = [threading.Thread(target=lambda: results.append(levit(x))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3
    for r in results:
        assert_matches(r, ref)


def test_cranelift_backend_and_arch_source():
    model = vitc.compile(
        arch="levit_128s", weights=model_file("levit_128s.safetensors"), backend="cranelift"
    )
    x = np.load(model_file("levit_128s.input.npy"))
    assert_matches(model(x), np.load(model_file("levit_128s.output.npy")))


def test_errors_carry_vitc_messages(levit, tmp_path):
    with pytest.raises(vitc.VitcError, match="this model takes"):
        levit(np.zeros((1, 3, 32, 32), np.float32))
    with pytest.raises(vitc.VitcError, match="missing.onnx"):
        vitc.compile(tmp_path / "missing.onnx")
    with pytest.raises(vitc.VitcError, match="backend must be"):
        vitc.compile(model_file("levit_128s.onnx"), backend="tvm")
    with pytest.raises(vitc.VitcError, match="not an ELF"):
        bad = tmp_path / "bad.so"
        bad.write_bytes(b"not a library")
        vitc.load(bad)
    with pytest.raises(vitc.VitcError, match="threads must be between 1 and"):
        vitc.load(levit.path, threads=0)


def test_preprocess_matches_timm():
    x = vitc.preprocess(IMAGES / "landscape.png", size=32)
    ref = np.load(IMAGES / "landscape.npy")
    assert x.shape == (1, 3, 32, 32)
    assert np.abs(x[0] - ref).max() <= 1e-5
    batch = vitc.preprocess(
        [IMAGES / "portrait.png", IMAGES / "portrait.png"], size=24, crop_pct=0.9,
        mean=(0.5, 0.5, 0.5), std=(0.25, 0.5, 0.75), interpolation="bilinear",
    )
    assert batch.shape == (2, 3, 24, 24)
    assert np.abs(batch - np.load(IMAGES / "portrait.npy")).max() <= 1e-5


def test_class_names():
    names = vitc.imagenet_class_names()
    assert len(names) == 1000 and names[281] == "tabby, tabby cat"
