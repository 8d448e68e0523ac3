"""What every Python suite shares (importable as `support`: pytest.ini puts
tests/ on the path): running the real `ice` binary and reading its errors
(run.py), a table's metadata files and input rows (tables.py), and the real
peers (peers.py): PyIceberg (StaticTable over a metadata file, and a
directory catalog so PyIceberg commits to a table directory the
HadoopCatalog way) and DuckDB's iceberg extension loaded from its PyPI
package. A missing peer fails the import, never skips.

    from support import ice_ok, ice_fails, append_rows, peers_agree
"""
from .run import REPO, Result, fault_env, fault_shim, ice, ice_bin, ice_fails, ice_ok  # noqa: F401
from .tables import (append_rows, current_metadata, current_snapshot_id, metadata, metadata_files,  # noqa: F401
                     table_files, write_jsonl)
from .peers import (DirectoryCatalog, canon, duck, duckdb_rows, peers_agree, pyiceberg_rows,  # noqa: F401
                    pyiceberg_table, schema_of)
