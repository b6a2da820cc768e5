"""How shoppers sign in: OpenID Connect with the shop's identity provider (Microsoft Entra External ID in
production), local accounts with argon2 password hashes, and anonymous device sessions (the embedded default).

- passwords.py  argon2id hashing and checking
- sessions.py   opaque bearer sessions (only their SHA-256 is stored)
- oidc.py       ID tokens checked against the issuer's JWKS
- accounts.py   creating shoppers, signing them in, rectifying their profile
(API keys for systems live in api_keys.py, written with the shop integration.)
"""
