"""The migration's checkpoint: where each scan segment got to, in a small JSON file."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from linecal.operations.migration import ScanKey

_VERSION = 1


class CheckpointMismatch(ValueError):
    """The checkpoint was written by a run with another table or segment count."""


class FileCheckpoint:
    """Implements `SegmentProgress`: each save replaces the file whole (write, then rename),
    so a run killed at any moment leaves the previous or the new position, never half."""

    def __init__(self, path: Path, table: str, total_segments: int) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._state: dict[str, Any] = {
            "version": _VERSION,
            "table": table,
            "total_segments": total_segments,
            "segments": {
                str(i): {"last_key": None, "finished": False} for i in range(total_segments)
            },
        }
        if path.exists():
            saved = json.loads(path.read_text(encoding="utf-8"))
            if saved.get("table") != table or saved.get("total_segments") != total_segments:
                raise CheckpointMismatch(
                    f"{path} is for table {saved.get('table')} with "
                    f"{saved.get('total_segments')} segments; use --fresh or another --checkpoint"
                )
            self._state = saved

    @property
    def resumed(self) -> bool:
        return any(s["last_key"] or s["finished"] for s in self._state["segments"].values())

    @property
    def finished(self) -> bool:
        return all(s["finished"] for s in self._state["segments"].values())

    def position(self, segment: int) -> tuple[ScanKey | None, bool]:
        with self._lock:
            saved = self._state["segments"][str(segment)]
            return saved["last_key"], bool(saved["finished"])

    def advance(self, segment: int, last_key: ScanKey | None, finished: bool) -> None:
        with self._lock:
            self._state["segments"][str(segment)] = {"last_key": last_key, "finished": finished}
            self._save()

    def _save(self) -> None:
        partial = self._path.with_name(self._path.name + ".partial")
        partial.write_text(json.dumps(self._state), encoding="utf-8")
        os.replace(partial, self._path)
