"""Migrations upgrade a database that already holds data, not only an empty one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from backend.db.migrate import head_revision, upgrade


@pytest.mark.sqlite
def test_sqlite_upgrade_keeps_rows_that_reference_rebuilt_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url, "0001")
    now = "2026-01-01 00:00:00.000000"
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO warehouses VALUES (1, 'W1', 'One', 1, ?, ?)", (now, now))
        db.execute("INSERT INTO locations (id, warehouse_id, parent_id, code, name, kind, "
                   "barcode, pick_sequence, active, created_at, updated_at) VALUES "
                   "(1, 1, NULL, 'Z', 'Zone', 'zone', NULL, 0, 1, ?, ?), "
                   "(2, 1, 1, 'B', 'Bin', 'bin', 'LOC-B', 10, 1, ?, ?), "
                   "(3, 1, NULL, '@ADJ', 'Adj', 'adjustment', NULL, 0, 1, ?, ?)",
                   (now,) * 6)
        db.execute("INSERT INTO items (id, sku, name, unit, tracking, unit_cost, active, "
                   "created_at, updated_at) VALUES (1, 'S', 'Item', 'ea', 'none', 1, 1, ?, ?)",
                   (now, now))
        db.execute("INSERT INTO quants (item_id, location_id, lot_key, warehouse_id, "
                   "is_virtual, on_hand, reserved, updated_at) VALUES "
                   "(1, 2, 0, 1, 0, 5, 0, ?), (1, 3, 0, 1, 1, -5, 0, ?)", (now, now))
    upgrade(url)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchone()[0] == (
            head_revision())
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        rows = db.execute("SELECT code, parent_id, purpose FROM locations ORDER BY id").fetchall()
        assert rows == [("Z", None, None), ("B", 1, None), ("@ADJ", None, None)]
        assert db.execute("SELECT SUM(on_hand) FROM quants").fetchone()[0] == 0
        # The new CHECK on purpose came with the rebuilt table.
        with pytest.raises(sqlite3.IntegrityError):
            db.execute("UPDATE locations SET purpose = 'party' WHERE id = 2")
