"""What a test may ask of the database connection about its own statements."""

from __future__ import annotations

from django.db import connection


def prepared_statements() -> set[str]:
    """The statements this PostgreSQL connection keeps prepared (an earlier test's stay)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}
