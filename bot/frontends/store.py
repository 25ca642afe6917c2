"""Conversation state on disk: one SQLite row per resident, so a restart loses nothing.

SQLite (standard library) instead of a file per chat: every save is one atomic transaction,
so a process killed at any moment, even halfway through a save, restarts with the last
complete state; and it is fast enough to save on every message. WAL mode with
synchronous=NORMAL commits without waiting for the disk, which guards against a killed
process but not against power loss; a lost state only means a resident starts over.
Conversations idle for longer than `max_idle` are deleted, so what the bot holds about a
resident expires by itself.

Nothing private stays behind: the directory and files are the bot's user's alone (0700/0600),
SQLite overwrites deleted rows (secure_delete), and a deletion is checkpointed out of the
write-ahead log at once. A damaged database set aside cannot be edited row by row, so it is
removed once its last write is older than `max_idle`, and when any resident asks to be
forgotten.

Telegram chats and web conversations live in separate tables of the same file, so a web
conversation id can never collide with a Telegram chat id, and both follow the same rules.
A web conversation is stored under the SHA-256 of its id, not the id itself: whoever reads
the file cannot use a row to continue someone's conversation.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
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


class StoreUnavailable(Exception):
    """The conversation store cannot be used right now (damaged, replaced, disk gone).

    Carries no resident data; the front end answers with its short error reply, and the
    store tries again with a fresh connection on the next message, so it recovers by itself
    once the disk is back."""


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
        self.directory = Path(directory)
        self.path = self.directory / "conversations.sqlite3"
        self.max_idle = max_idle_seconds
        self._db: sqlite3.Connection | None = None
        self._execute("SELECT 1")  # fails now, with a clear error, if it cannot work at all

    def _open(self) -> sqlite3.Connection:
        if not self.directory.exists():
            self.directory.mkdir(mode=0o700, parents=True)
        if not self.directory.is_dir():
            raise NotADirectoryError(f"{self.directory} is not a directory")
        try:
            return self._connect()
        except sqlite3.DatabaseError as error:
            if not self.path.is_file() or not _damaged(error):
                raise  # the place is unusable, or a passing fault (disk full): keep the file
            # Not a database (or damaged beyond repair): keep it aside and start empty, so
            # residents can go on; their old conversations are lost, nothing else.
            aside = self.path.with_suffix(f".damaged-{int(time.time())}")
            self.path.replace(aside)
            for suffix in ("-wal", "-shm"):
                companion = Path(f"{self.path}{suffix}")
                if companion.exists():
                    companion.replace(Path(f"{aside}{suffix}"))
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        # Created (or tightened) 0600 before SQLite opens it: its -wal and -shm files take
        # the database file's permissions.
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        for name in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")):
            if name.exists():
                name.chmod(0o600)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten, not just freed
            db.executescript(_SCHEMA)
            db.execute("PRAGMA quick_check").fetchone()
        except sqlite3.Error:
            db.close()
            raise
        return db

    def _execute(self, sql: str, parameters: tuple = ()) -> sqlite3.Cursor:
        """One statement. A connection that fails is dropped and the statement tried once
        more on a fresh one (a damaged file is set aside then); if that fails too, the store
        is unavailable for this message and tried again on the next."""
        try:
            return self._connection().execute(sql, parameters)
        except (sqlite3.Error, OSError):
            self._drop()
        try:
            return self._connection().execute(sql, parameters)
        except (sqlite3.Error, OSError) as error:
            self._drop()
            raise StoreUnavailable(f"{type(error).__name__}: {error}") from error

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = self._open()
        return self._db

    def _drop(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None

    def load(self, chat_id: Key) -> Conversation | None:
        row = self._execute(
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
        self._execute(
            f"INSERT INTO {self._table} ({self._column}, state, updated) VALUES (?, ?, ?) "
            f"ON CONFLICT ({self._column}) DO UPDATE SET state = excluded.state, "
            "updated = excluded.updated",
            (self._key(chat_id), payload, time.time()),
        )

    def delete(self, chat_id: Key) -> None:
        """Delete one conversation; nothing of it stays readable on disk."""
        self._execute(
            f"DELETE FROM {self._table} WHERE {self._column} = ?", (self._key(chat_id),)
        )
        self._checkpoint()

    def forget(self, chat_id: Key) -> None:
        """A resident's own request to be forgotten: their conversation, and every damaged
        copy that may still hold it (those cannot be edited row by row)."""
        self.delete(chat_id)
        for copy in self._damaged_copies():
            copy.unlink(missing_ok=True)

    def expire(self) -> int:
        """Delete conversations idle for too long, and damaged copies whose last write is as
        old; returns how many conversations."""
        cutoff = time.time() - self.max_idle
        removed = self._execute(
            f"DELETE FROM {self._table} WHERE updated < ?", (cutoff,)
        ).rowcount
        if removed:
            self._checkpoint()
        for copy in self._damaged_copies():
            try:
                if copy.stat().st_mtime < cutoff:
                    copy.unlink()
            except FileNotFoundError:
                pass
        return removed

    def _checkpoint(self) -> None:
        """Move everything out of the write-ahead log and empty it, so a deleted row's
        earlier versions are not left there."""
        self._execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()

    def _damaged_copies(self) -> list[Path]:
        return list(self.directory.glob(f"{self.path.stem}.damaged-*"))

    def count(self) -> int:
        return self._execute(f"SELECT COUNT(*) FROM {self._table}").fetchone()[0]

    def close(self) -> None:
        self._drop()


def _damaged(error: sqlite3.DatabaseError) -> bool:
    """The file itself is not (or no longer) a database, as opposed to a fault around it."""
    name = getattr(error, "sqlite_errorname", "")
    return name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT"))
