"""A set of user ids kept on disk, so a scan of every user needs no memory per user."""

from __future__ import annotations

import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

# SQLite caps the number of `?` in one statement (999 in older builds).
_QUERY_CHUNK = 500


class DiskUserSet:
    """User ids in a temporary SQLite file; its page cache is bounded, whatever the count."""

    def __init__(self, directory: Path | None = None) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="linecal-users-", dir=directory)
        path = Path(self._dir.name) / "users.sqlite"
        # One connection shared by the scan threads, serialised by a lock.
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE users (user_id TEXT PRIMARY KEY) WITHOUT ROWID")
        self._lock = threading.Lock()

    def add(self, user_ids: Iterable[str]) -> None:
        rows = [(u,) for u in user_ids]
        with self._lock:
            self._db.executemany("INSERT OR IGNORE INTO users VALUES (?)", rows)

    def present(self, user_ids: Sequence[str]) -> set[str]:
        """The ones of `user_ids` that are in the set."""
        found: set[str] = set()
        with self._lock:
            for start in range(0, len(user_ids), _QUERY_CHUNK):
                chunk = list(user_ids[start : start + _QUERY_CHUNK])
                marks = ",".join("?" * len(chunk))
                cursor = self._db.execute(
                    f"SELECT user_id FROM users WHERE user_id IN ({marks})",  # noqa: S608
                    chunk,
                )
                found.update(row[0] for row in cursor)
        return found

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM users").fetchone()[0])

    def __iter__(self) -> Iterator[str]:
        # A snapshot cursor read in slices, so iterating holds one slice at a time.
        last = ""
        while True:
            with self._lock:
                rows = self._db.execute(
                    "SELECT user_id FROM users WHERE user_id > ? ORDER BY user_id LIMIT 1000",
                    (last,),
                ).fetchall()
            if not rows:
                return
            for (user_id,) in rows:
                yield user_id
            last = rows[-1][0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
        self._dir.cleanup()

    def __enter__(self) -> DiskUserSet:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
