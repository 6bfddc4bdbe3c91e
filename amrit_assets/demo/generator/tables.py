"""One table's values: its frame, every column resolved and generated, NOT NULL and unique keys made to hold."""

from __future__ import annotations

from amrit_assets.demo.generator.base import NULL
from amrit_assets.demo.generator.frames import Frame, _copy_frame, _frame_for, _master_frame, _master_rows
from amrit_assets.demo.generator.live_schema import Column, TableInfo
from amrit_assets.demo.generator.plan import TableSpec
from amrit_assets.demo.generator.resolver import Resolver
from amrit_assets.demo.generator.values import _DATE, _NUMBER, Ctx, _fit


def generate_table(spec: TableSpec, info: TableInfo, ctx: Ctx, kinds: dict, explain: bool = False) -> tuple[Frame, dict[str, list[str]], dict[str, str]]:
    """All columns of one table as lists of TSV fields (plus how each was resolved)."""
    rng, w = ctx.rng, ctx.world
    copied: dict[str, list[str]] = {}
    if spec.driver == "copy":
        sources = [ctx.filled[s] for s in spec.source]
        frame = _copy_frame(spec, sources, rng)
        rows = frame.source_rows or []
        have = {c.lname: c for c in info.columns}
        for s in sources:  # a column comes from the first source that has it
            wanted: list[tuple[Column, str]] = []
            for c in s.info.columns:
                tgt = have.get(c.lname)
                if tgt is None or tgt.name in copied or c.lname == "vanserialno":
                    continue
                if tgt.is_numeric and not c.is_numeric:
                    continue
                wanted.append((tgt, c.name))
                copied[tgt.name] = []
            got = s.select([name for _, name in wanted], rows)
            for tgt, name in wanted:
                copied[tgt.name] = _fit(tgt, got[name])
    elif spec.driver == "master":
        keys, curated = _master_rows(info, w)
        frame = _master_frame(keys, w, rng)
        by_name = {c.name: c for c in info.columns}
        copied = {c: _fit(by_name[c], v) for c, v in curated.items()}
    else:
        frame = _frame_for(spec, w, rng, ctx.db_keys)
    resolver = Resolver(ctx, spec, info, kinds)
    values: dict[str, list[str]] = {}
    how: dict[str, str] = {}
    for col in info.columns:
        if col.name in copied and col.name not in spec.cols:
            values[col.name] = copied[col.name]
            how[col.name] = "copy"
            continue
        desc, gen = resolver.resolve(col)
        how[col.name] = desc
        if explain:
            continue
        vals = gen(frame) if frame.n else []
        if not _compatible(col, vals):
            how[col.name] = f"fill (not {desc}: values do not fit {col.column_type})"
            vals = resolver.filler(col)(frame) if frame.n else []
        if not col.nullable:
            vals = _not_null(col, vals, resolver)
        values[col.name] = vals
    if not explain:
        _enforce_unique(info, values, {c for c, h in how.items() if h == "key"})
    return frame, values, how

def _compatible(col: Column, vals: list[str]) -> bool:
    """Whether a sample of generated values fits the column's type family (a guard for name rules)."""
    if not (col.is_numeric or col.data_type in ("date", "datetime", "timestamp")):
        return True
    pat = _NUMBER if col.is_numeric else _DATE
    sample = [v for v in vals[:200] if v != NULL][:20]
    return all(pat.fullmatch(v) for v in sample)


def _not_null(col: Column, vals: list[str], r: Resolver) -> list[str]:
    if NULL not in vals:
        return vals
    fill = r.filler(Column(col.name, col.data_type, col.column_type, False, col.key, col.max_len, col.precision, col.scale))
    alt = fill(Frame(len(vals), r.w.bens, [0] * len(vals), [0] * len(vals), [""] * len(vals), [""] * len(vals), [""] * len(vals), "master"))
    return [a if v == NULL else v for v, a in zip(vals, alt)]


def _enforce_unique(info: TableInfo, values: dict[str, list[str]], unique_cols: set[str]) -> None:
    """Make primary/unique keys hold: filler-made duplicates get a row number appended or substituted."""
    cols = {c.name: c for c in info.columns}
    for ix in ([info.pk] if info.pk else []) + [u for u in info.uniques if u != info.pk]:
        if not ix or any(c not in values for c in ix) or unique_cols.intersection(ix):
            continue
        seen: set[tuple[str, ...]] = set()
        dup = False
        for tup in zip(*(values[c] for c in ix)):
            if NULL in tup:
                continue
            if tup in seen:
                dup = True
                break
            seen.add(tup)
        if not dup:
            continue
        c = cols[ix[-1]]
        vals = values[c.name]
        if c.is_int or c.is_numeric:
            values[c.name] = [str(i + 1) for i in range(len(vals))]
        else:
            size = c.max_len or 255
            out = []
            for i, v in enumerate(vals):
                suffix = f"-{i + 1}"
                base = "" if v == NULL else v
                out.append((base[: max(0, size - len(suffix))] + suffix)[-size:] if size >= len(suffix) else str(i + 1)[-size:])
            values[c.name] = out
