"""The maintenance suites share one Spark session and its catalog "cat":
the session-scoped `spark` fixture is registered here once (imported into
two test modules it would be two fixtures, the second one pointing "cat"
at another warehouse)."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from peers.spark import spark  # noqa: E402,F401 (the session-scoped fixture)
