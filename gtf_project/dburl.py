"""Turn ``DATABASE_URL`` into a Django ``DATABASES`` entry (no extra dependency)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

ENGINES = {
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
    "mysql": "django.db.backends.mysql",
    "sqlite": "django.db.backends.sqlite3",
}


def sqlite_database(path: Path | str) -> dict:
    """SQLite tuned for a web process and workers sharing one file."""
    return {
        "ENGINE": ENGINES["sqlite"],
        "NAME": str(path),
        "OPTIONS": {
            # Writers take the lock at BEGIN, so concurrent submits queue instead of failing.
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
        "TEST": {"NAME": str(path) + ".test"},
    }


def parse(url: str, *, conn_max_age: int = 0) -> dict:
    """A server database: one connection per request by default (``CONN_MAX_AGE=0``).

    Persistent connections (``CONN_MAX_AGE > 0``) stay open per thread; under a server that
    runs a thread per request they pile up until the database refuses clients. Production
    web processes pool connections instead (docs/workers.md, "Database connections").
    """
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    if scheme not in ENGINES:
        raise ValueError(f"DATABASE_URL scheme {parts.scheme!r} is not one of {sorted(ENGINES)}")
    if scheme == "sqlite":
        return sqlite_database(
            unquote(parts.path[1:] if parts.path.startswith("//") else parts.path)
        )
    options = dict(parse_qsl(parts.query))
    config = {
        "ENGINE": ENGINES[scheme],
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": conn_max_age,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": options,
    }
    if scheme == "mysql":
        config["OPTIONS"].setdefault("charset", "utf8mb4")
    return config
