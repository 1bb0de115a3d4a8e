#!/usr/bin/env bash
# Tests the Python package as a new user gets it: a fresh venv, `pip install
# ./python` (maturin builds the native module, sharing the workspace's
# target/), then pytest against ../shared/models and timm's preprocessing.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/python-venv
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check ./python pytest
"$venv/bin/python" -m pytest -q python/tests "$@"
