"""Compile resolved catalog columns into one set-based statement per table.

One ``UPDATE`` per table touches all of its personal columns at once. It is a single-table UPDATE,
whose assignments run left to right, so the order is chosen: free text is scrubbed and dates are
shifted while the names and ids they read are still the originals; ids are remapped last.
``ON UPDATE CURRENT_TIMESTAMP`` columns are assigned to themselves so they keep their values.
Remapped ids in a unique index are written in place; only the few whose new id is also an original id
(which would collide with a row not yet rewritten) are parked out of range and moved down by a second
UPDATE per column, which reads only them through the column's index.
This module only computes SQL; executing it is the asset's job.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from amrit_assets.common.kinds import ID_KINDS
from amrit_assets.anonymize.strategies import STRATEGIES, Target, id_unpark
from amrit_assets.catalog.model import Resolution

# Lower runs first: readers of other columns' originals before the writers of those columns.
_ORDER = {"scrub_text": 0, "date_shift": 1, "benregid": 9, "beneficiary_id": 9}


@dataclass
class TablePlan:
    db: str
    table: str
    statements: list[str]  # empty: nothing to change
    truncate: bool = False
    columns: dict[str, str] = field(default_factory=dict)  # column -> strategy, for metadata

    @property
    def qualified(self) -> str:
        return f"{self.db}.{self.table}"


def plan_table(
    db: str, table: str, resolutions: Iterable[Resolution], keep_timestamps: Iterable[str] = (), unique_columns: Iterable[str] = ()
) -> TablePlan:
    res = [r for r in resolutions if not r.column.is_view]
    columns = {r.column.column: r.strategy for r in res}
    q = f"`{db}`.`{table}`"
    if any(r.strategy == "truncate" for r in res):
        return TablePlan(db, table, [f"DELETE FROM {q}"], truncate=True, columns=columns)
    unique = {c.lower() for c in unique_columns}
    # Free text is scrubbed of every name and username the row holds, whether or not the rule lists them.
    row_names = [r.column.column for r in res if r.strategy in ("name", "username")]
    sets: list[tuple[int, str]] = []
    unpark: list[tuple[str, str]] = []
    for r in res:
        compile_ = STRATEGIES[r.strategy].compile
        if compile_ is None:
            continue
        t = Target(r.column.column, r.column.column_type, r.column.nullable)
        params = r.params
        if r.strategy == "scrub_text":
            listed = [n for n in params.get("names", "").split("|") if n]
            params = {**params, "names": "|".join(dict.fromkeys(listed + row_names))}
        if r.strategy in ID_KINDS and r.column.column.lower() in unique:
            params = {**params, "_parked": "1"}
            unpark.append(id_unpark(t))
        sets.append((_ORDER.get(r.strategy, 5), f"{t.q} = {compile_(t, params)}"))
    if not sets:
        return TablePlan(db, table, [], columns=columns)
    assignments = [s for _, s in sorted(sets, key=lambda x: x[0])]
    kept = [f"`{c}` = `{c}`" for c in keep_timestamps if c not in columns or STRATEGIES[columns[c]].compile is None]
    statements = [f"UPDATE {q} SET " + ",\n  ".join(assignments + kept)]
    for assignment, where in unpark:
        statements.append(f"UPDATE {q} SET " + ", ".join([assignment] + kept) + f" WHERE {where}")
    return TablePlan(db, table, statements, columns=columns)


def plan_database(
    db: str,
    resolutions: Iterable[Resolution],
    on_update_columns: dict[str, list[str]] | None = None,
    unique_columns: dict[str, set[str]] | None = None,
) -> list[TablePlan]:
    """Plans for every table of one database, in name order."""
    by_table: dict[str, list[Resolution]] = defaultdict(list)
    for r in resolutions:
        if r.column.db == db:
            by_table[r.column.table].append(r)
    on_update_columns, unique_columns = on_update_columns or {}, unique_columns or {}
    return [
        plan_table(db, t, rs, on_update_columns.get(t, ()), unique_columns.get(t, ())) for t, rs in sorted(by_table.items())
    ]
