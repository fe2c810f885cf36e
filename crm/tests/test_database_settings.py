"""The application's PostgreSQL connections run without JIT compilation: at 10M entries a
page's query estimated large but reading a few rows spent 200 ms compiling (crm/settings.py)."""

import pytest
from django.db import connection


@pytest.mark.django_db
def test_postgresql_connections_do_not_compile_queries():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (SQLite has no JIT)")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
