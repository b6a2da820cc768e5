"""Shoppers' personal data: consent, minimisation, export, erasure, retention and the audit trail.

- keys.py        secrets from the environment (or Key Vault, injected as env), else a local key file
- pseudonyms.py  keyed HMACs that stand in for shopper ids and IP addresses in logs and the audit trail
- crypto.py      AES-GCM for saved photos at rest
- consent.py     purposes, the versioned policy text, grant/withdraw/require
- audit.py       the audit trail (pseudonyms only)
- photos.py      saved photos: face-blurred, metadata-free, encrypted, expiring; the purge job
- rights.py      the registry of data areas: each knows how to export and erase one shopper's data
- export.py      the export ZIP and its JSON schema
- erasure.py     erasure across every registered area, recorded as a job
"""
