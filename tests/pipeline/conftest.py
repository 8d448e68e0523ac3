"""The suite's one Spark session fixture (tests/peers/spark.py): imported
here once, so every module of the suite shares it (imported into two
modules it would be two fixtures configuring catalog "cat" twice)."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from peers.spark import spark  # noqa: E402,F401 (the session-scoped fixture)
