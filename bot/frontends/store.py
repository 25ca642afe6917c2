"""Conversation state on disk: one SQLite row per resident, so a restart loses nothing.

SQLite (standard library) instead of a file per chat: every save is one atomic transaction,
so a process killed at any moment, even halfway through a save, restarts with the last
complete state; and it is fast enough to save on every message. WAL mode with
synchronous=NORMAL commits without waiting for the disk, which guards against a killed
process but not against power loss; a lost state only means a resident starts over.
Conversations idle for longer than `max_idle` are deleted, so what the bot holds about a
resident expires by itself.

Telegram chats and web conversations live in separate tables of the same file, so a web
conversation id can never collide with a Telegram chat id, and both follow the same rules.
A web conversation is stored under the SHA-256 of its id, not the id itself: whoever reads
the file cannot use a row to continue someone's conversation.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path

from bot.dialogue.state import Conversation

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    chat_id INTEGER PRIMARY KEY,
    state TEXT NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_updated ON conversations (updated);
CREATE TABLE IF NOT EXISTS web_conversations (
    conversation TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS web_conversations_updated ON web_conversations (updated);
"""

# kind -> (table, key column): fixed names, never built from input.
_TABLES = {"telegram": ("conversations", "chat_id"), "web": ("web_conversations", "conversation")}
Key = int | str


def _web_key(conversation_id: Key) -> str:
    return hashlib.sha256(str(conversation_id).encode()).hexdigest()


class StateStore:
    """Conversation states of one kind: "telegram" (keyed by chat id) or "web" (by the
    random conversation id in the resident's cookie)."""

    def __init__(
        self,
        directory: Path | str,
        max_idle_seconds: float = 30 * 24 * 3600,
        kind: str = "telegram",
    ):
        self.kind = kind
        self._table, self._column = _TABLES[kind]
        self._key = int if kind == "telegram" else _web_key
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "conversations.sqlite3"
        self.max_idle = max_idle_seconds
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            db.execute("PRAGMA quick_check").fetchone()
        except sqlite3.DatabaseError:
            # Not a database (or damaged beyond repair): keep it aside and start empty, so
            # residents can go on; their old conversations are lost, nothing else.
            self.path.replace(self.path.with_suffix(f".damaged-{int(time.time())}"))
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
        return db

    def load(self, chat_id: Key) -> Conversation | None:
        row = self._db.execute(
            f"SELECT state, updated FROM {self._table} WHERE {self._column} = ?",
            (self._key(chat_id),),
        ).fetchone()
        if row is None:
            return None
        if time.time() - row[1] > self.max_idle:
            self.delete(chat_id)
            return None
        try:
            data = json.loads(row[0])
        except ValueError:
            return None
        return Conversation.from_dict(data) if isinstance(data, dict) else None

    def save(self, chat_id: Key, state: Conversation) -> None:
        payload = json.dumps(state.to_dict(), ensure_ascii=False, separators=(",", ":"))
        self._db.execute(
            f"INSERT INTO {self._table} ({self._column}, state, updated) VALUES (?, ?, ?) "
            f"ON CONFLICT ({self._column}) DO UPDATE SET state = excluded.state, "
            "updated = excluded.updated",
            (self._key(chat_id), payload, time.time()),
        )

    def delete(self, chat_id: Key) -> None:
        self._db.execute(
            f"DELETE FROM {self._table} WHERE {self._column} = ?", (self._key(chat_id),)
        )

    def expire(self) -> int:
        """Delete conversations idle for too long; returns how many."""
        cursor = self._db.execute(
            f"DELETE FROM {self._table} WHERE updated < ?", (time.time() - self.max_idle,)
        )
        return cursor.rowcount

    def count(self) -> int:
        return self._db.execute(f"SELECT COUNT(*) FROM {self._table}").fetchone()[0]

    def close(self) -> None:
        self._db.close()
