"""Pallio's settings with PBKDF2 as the preferred password hasher: the baseline server of
bench_signin.py (the hasher before Argon2 was chosen). Not for any other use."""

from pallio.settings import *  # noqa: F403

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
