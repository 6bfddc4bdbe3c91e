"""The audit trail of a refresh: the report (``report``), original vs masked (``masking``), k-anonymity (``risk``).

The asset is ``amrit_assets.assets.audit.audit_report``; the lineage command is ``amrit_assets.lineage``.
"""
