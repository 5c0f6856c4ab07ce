"""The settings the type checker loads: development mode, so that checking the code needs no
secret (settings.py refuses to load without one in every other mode)."""

import os

os.environ.setdefault("PALLIO_ENV", "development")

from pallio.settings import *  # noqa: F403
