"""Fixtures of the write-path suite: `catalog`, the file-system catalog and
the Apache Iceberg REST fixture as one parameter (tests/peers/catalogs.py)."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "peers"))
from catalogs import catalog, java_rest  # noqa: E402,F401  (pytest fixtures)
