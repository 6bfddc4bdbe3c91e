"""What the anonymizer and the checks both need, owned by neither: key derivation, the Verhoeff
checksum, the kinds of identifiers, the workspace schema's name and resolving the live schema.

The checks import from here, never from ``amrit_assets.anonymize``, so the proof that nothing
leaked does not share the transformation's assumptions (docs/DESIGN.md, decision 6).
"""
