"""What the bot says, looked up per language in knowledge/texts/<lang>.yaml.

Every front end (chat, Telegram, the printed card) speaks through this one class, so a text is
changed in data once and everywhere at the same time.
"""

from __future__ import annotations

from bot.knowledge.model import KnowledgeBase


class Texts:
    """Looks up what the bot says in one language, filling in {names}."""

    def __init__(self, kb: KnowledgeBase, lang: str):
        self.table = kb.texts.get(lang) or kb.texts["nl"]
        self.lang = lang if lang in kb.texts else "nl"

    def __call__(self, key: str, **values: object) -> str:
        return self.table[key].format(**values) if values else self.table[key]

    def has(self, key: str) -> bool:
        return key in self.table
