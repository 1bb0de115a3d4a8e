"""Every ``python`` block of ``docs/*.md`` runs, in an empty folder beside
``shared/`` and ``vitc/`` (this checkout), as the docs say; the ``sh`` blocks
run in ``compiler/vitc/tests/doc_examples.rs``."""

import os
import pathlib
import re
import runpy
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)


def python_examples():
    found = []
    for doc in sorted((REPO / "docs").glob("*.md")):
        text = doc.read_text()
        for m in BLOCK.finditer(text):
            line = text[: m.start()].count("\n") + 1
            found.append(pytest.param(m.group(1), id=f"{doc.name}:{line}"))
    assert len(found) >= 3, "the docs hold Python examples; finding none means the parser broke"
    return found


@pytest.mark.parametrize("code", python_examples())
def test_python_example_runs(code, tmp_path, monkeypatch):
    shared = REPO.parent / "shared"
    assert (shared / "models").is_dir(), f"{shared} is missing: ../shared must sit beside the checkout"
    (tmp_path / "shared").symlink_to(shared.resolve())
    (tmp_path / "vitc").symlink_to(REPO)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    script = work / "example.py"
    script.write_text(code)
    runpy.run_path(str(script), run_name="__main__")
