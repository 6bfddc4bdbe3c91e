"""Copy sources read back from their loaded TSV give exactly the values that were generated (no server)."""

from __future__ import annotations

from amrit_assets.demo.generator.base import NULL
from amrit_assets.demo.generator.frames import Frame
from amrit_assets.demo.generator.live_schema import Column, TableInfo
from amrit_assets.demo.generator.loading import _write_tsv
from amrit_assets.demo.generator.plan import TableSpec
from amrit_assets.demo.generator.values import Filled
from amrit_assets.demo.generator.people import People


def _filled(tmp_path, values: dict[str, list[str]]) -> tuple[Filled, Filled]:
    columns = [Column(name, "varchar", "varchar(40)", True, "", 40, None, None) for name in values]
    info = TableInfo("db_x", "t", columns, [], [], {})
    n = len(next(iter(values.values())))
    frame = Frame(n, People(0), [0] * n, [0] * n, [""] * n, [""] * n, [""] * n, "ben")
    path = tmp_path / "db_x.t.tsv"
    _write_tsv(path, columns, values)
    spec = TableSpec("db_x", "t", "ben")
    return Filled(spec, info, frame, values), Filled(spec, info, frame, None, path)


def test_tsv_read_back_equals_memory(tmp_path):
    values = {
        "a": [str(i) for i in range(50)],
        "b": [NULL if i % 7 == 0 else f"x\\\\y {i}, (a) ''" for i in range(50)],  # NULLs, backslashes, quotes
        "c": ["Male" if i % 2 else "Female" for i in range(50)],
    }
    in_memory, on_disk = _filled(tmp_path, values)
    for rows in ([], [0], [1, 5, 9, 49], list(range(50)), [9, 3, 3, 0]):  # ascending, all, unsorted with repeats
        for names in (["a"], ["c", "a"], ["a", "b", "c"]):
            assert on_disk.select(names, rows) == in_memory.select(names, rows)
    assert on_disk.select(["b"], [0, 1])["b"] == [NULL, "x\\\\y 1, (a) ''"]


def test_no_rows_no_file(tmp_path):
    _, on_disk = _filled(tmp_path, {"a": ["1"]})
    empty = Filled(on_disk.spec, on_disk.info, on_disk.frame, None, None)
    assert empty.select(["a"], []) == {"a": []}
