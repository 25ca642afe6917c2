"""Conversation state on disk: one small JSON file per chat, written atomically.

A file is written to a temporary name and moved into place, so a process killed during a
save leaves the previous state, never half a file. Conversations idle for longer than
`max_idle` are deleted, so what the bot holds about a resident expires by itself.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.dialogue.state import Conversation


class StateStore:
    def __init__(self, directory: Path | str, max_idle_seconds: float = 30 * 24 * 3600):
        self.directory = Path(directory) / "conversations"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_idle = max_idle_seconds

    def _path(self, chat_id: int) -> Path:
        return self.directory / f"{int(chat_id)}.json"  # int(): never a path from user input

    def load(self, chat_id: int) -> Conversation | None:
        path = self._path(chat_id)
        try:
            if time.time() - path.stat().st_mtime > self.max_idle:
                path.unlink(missing_ok=True)
                return None
            data: Any = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return Conversation.from_dict(data) if isinstance(data, dict) else None

    def save(self, chat_id: int, state: Conversation) -> None:
        payload = json.dumps(state.to_dict(), ensure_ascii=False)
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(payload)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self._path(chat_id))
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)

    def delete(self, chat_id: int) -> None:
        self._path(chat_id).unlink(missing_ok=True)

    def expire(self) -> int:
        """Delete conversations idle for too long (and leftovers of interrupted saves)."""
        removed = 0
        now = time.time()
        for path in self.directory.glob("*.json"):
            try:
                if now - path.stat().st_mtime > self.max_idle or path.name.startswith(".tmp-"):
                    path.unlink(missing_ok=True)
                    removed += 1
            except OSError:
                continue
        return removed

    def count(self) -> int:
        return sum(1 for p in self.directory.glob("*.json") if not p.name.startswith(".tmp-"))
