"""Point Django at the benchmark database (PostgreSQL), create it and migrate it."""

import os
import sys

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/crm_bench"


def configure() -> str:
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    if not url.startswith("postgres"):
        sys.exit("The benchmarks run on PostgreSQL: set BENCH_DATABASE_URL=postgres://...")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    _create_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def _create_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
