"""What the bot says, looked up per language in knowledge/texts/<lang>.yaml.

Every front end (chat, Telegram, the printed card) speaks through this one class, so a text is
changed in data once and everywhere at the same time.
"""

from __future__ import annotations

import re

from bot.knowledge.model import KnowledgeBase

RIGHT_TO_LEFT = frozenset({"ar"})
# Unicode directional isolates (LRI ... PDI): a phone number, postcode, URL or Latin name inside
# right-to-left text keeps its own left-to-right order ("030 123 45 67" not "67 45 123 030").
LRI, PDI = "\u2066", "\u2069"
_ARABIC_LETTER = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
# A left-to-right run written in the template itself: "Routewijzer", "/opnieuw", "112", "3524".
_LTR_RUN = re.compile(r"(?<![{\w])(/?[A-Za-z0-9](?:[A-Za-z0-9./:+\-]*[A-Za-z0-9])?)(?![\w}])")


class Texts:
    """Looks up what the bot says in one language, filling in {names}."""

    def __init__(self, kb: KnowledgeBase, lang: str):
        self.table = kb.texts.get(lang) or kb.texts["nl"]
        self.lang = lang if lang in kb.texts else "nl"

    def __call__(self, key: str, **values: object) -> str:
        if self.lang in RIGHT_TO_LEFT:
            return self._right_to_left(self.table[key], values)
        return self.table[key].format(**values) if values else self.table[key]

    def has(self, key: str) -> bool:
        return key in self.table

    @staticmethod
    def _right_to_left(template: str, values: dict[str, object]) -> str:
        """Arabic: isolate every left-to-right run, in the template and in the values filled in
        (a value already in Arabic, such as a composed 'why' line, stays as it is)."""
        template = _LTR_RUN.sub(lambda m: isolate(m.group(1)), template)
        if not values:
            return template.replace("{{", "{").replace("}}", "}")
        return template.format(**{name: _isolated(value) for name, value in values.items()})


def isolate(text: str) -> str:
    """`text` as a left-to-right island inside right-to-left text."""
    return f"{LRI}{text}{PDI}" if text else text


def _isolated(value: object) -> object:
    if isinstance(value, str) and value and not _ARABIC_LETTER.search(value) and LRI not in value:
        return isolate(value)
    return value
