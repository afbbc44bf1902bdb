"""[infra.integrity]: INF-09, PostgreSQL's own integrity checks, read-only by default."""

from __future__ import annotations

from pydantic import Field

from nestgate.config.base import Strict


class Integrity(Strict):
    """INF-09: amcheck over every btree index, orphan rows of every foreign key, and the row counts and
    checksums `nestgate deploy` compares around the deploy."""

    create_amcheck: bool = Field(False, description=(
        "INF-09: when the amcheck extension is missing from infra.database.dbname, let nestgate run "
        "`CREATE EXTENSION IF NOT EXISTS amcheck` as infra.database.user (the only write INF-09 can make; that "
        "role needs the right to create it: amcheck is not a trusted extension, so normally a superuser). "
        "Default false: nestgate stays read-only and INF-09 fails naming the missing extension and the statements "
        "a superuser runs."))
    heapallindexed: bool = Field(True, description=(
        "INF-09: bt_index_check(index, heapallindexed => true) also verifies that every table row has its index "
        "entry, which catches an index that disagrees with its table (a changed collation or IMMUTABLE function), "
        "at the cost of one table scan per index. false checks the index structure only."))
    timeout_s: float = Field(300.0, gt=0, description=(
        "INF-09: seconds each pass (all indexes, all foreign keys, all table checksums) may take."))
