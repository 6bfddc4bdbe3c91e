"""Names both sides agree on: the workspace schema and the kinds of identifiers remapped by a bijection."""

WORK_DB = "amrit_anon"  # the workspace schema holding pools, maps and fingerprints; never dumped

# Catalog strategies of the beneficiary identifiers, remapped through one keyed bijection per kind.
ID_KINDS = ("benregid", "beneficiary_id")


def is_text_type(column_type: str) -> bool:
    """Whether a column of this SQL type holds characters (CHAR/VARCHAR/TEXT/JSON/ENUM/SET)."""
    t = column_type.lower()
    return any(w in t for w in ("char", "text", "json", "enum", "set("))
