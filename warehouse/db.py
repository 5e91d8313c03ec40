"""Running the warehouse's .sql files with bound parameters."""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).parent / "sql"
_PARAM = re.compile(r"\$([A-Za-z_]\w*)")


@cache
def statements(name: str) -> tuple[str, ...]:
    """The statements of sql/<name> (split on ';' at line ends; comments kept)."""
    text = (SQL_DIR / name).read_text(encoding="utf-8")
    parts = re.split(r";\s*(?:\n|$)", text)
    return tuple(p.strip() for p in parts if _code(p))


def _code(statement: str) -> str:
    return "\n".join(line for line in statement.splitlines()
                     if line.strip() and not line.strip().startswith("--"))


def run(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> None:
    """Run every statement of sql/<name>, binding the `$name` parameters each one uses."""
    for statement in statements(name):
        used = {p: params[p] for p in _PARAM.findall(_code(statement))}
        con.execute(statement, used or None)


def query(con: duckdb.DuckDBPyConnection, name: str, **params: object):
    """The result (a DuckDB relation's DataFrame) of the single statement in sql/<name>."""
    (statement,) = statements(name)
    used = {p: params[p] for p in _PARAM.findall(_code(statement))}
    return con.execute(statement, used or None).df()


def run_folder(con: duckdb.DuckDBPyConnection, folder: str, **params: object) -> None:
    """Run every .sql file of sql/<folder> in name order (the files are numbered)."""
    for path in sorted((SQL_DIR / folder).glob("*.sql")):
        run(con, f"{folder}/{path.name}", **params)


def folder_digest(*folders: str) -> str:
    """A digest of the text of every .sql file of sql/<folder>, for each folder."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted((SQL_DIR / folder).glob("*.sql")):
            digest.update(f"{folder}/{path.name}".encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


# DuckDB takes up to 80% of the machine's memory by default; a consolidation needs far
# less, and spills to disk beyond this (measured: without it, loading national-scale
# returns peaked at 4.5 GB; at 256 MB instead of 512 MB, the country's 3,321 returns load
# and build their marts as fast, and the run's main process peaks 100 MB lower).
MEMORY_LIMIT = "256MB"


def quoted(*parts: str) -> str:
    """An identifier from the warehouse's own catalogue, quoted: "schema"."table"."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in parts)


def read_every_table(con: duckdb.DuckDBPyConnection) -> None:
    """Read every column of every table once (DuckDB checks each block's checksum as it
    reads it): raises duckdb.Error when a block of the file is damaged."""
    tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() "
                         "WHERE NOT internal").fetchall()
    for schema, table in tables:
        name = quoted(schema, table)
        con.execute(f"SELECT count(*), max(hash(COLUMNS(*))) FROM {name}").fetchall()


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=read_only,
                          config={"memory_limit": MEMORY_LIMIT})
