"""Checks for the values maintainers type by hand: phone numbers, links, dates, opening hours.

Each check returns None when the value is fine, or a sentence saying what is wrong, so the
loader can put it behind a file, line and field.
"""

from __future__ import annotations

import re
from datetime import date

import opening_hours

_DIGITS = re.compile(r"\D")
_PHONE_CHARS = re.compile(r"^[0-9 ()+\-]+$")
_SHORT_NUMBERS = {"112", "113", "144"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_URL = re.compile(r"^https://[a-z0-9.-]+\.[a-z]{2,}(/\S*)?$", re.IGNORECASE)
_ANY_URL = re.compile(r"^https?://[a-z0-9.-]+\.[a-z]{2,}(/\S*)?$", re.IGNORECASE)
_CHECKED = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
UNKNOWN_DATE = "onbekend"


def phone_problem(value: str) -> str | None:
    """Dutch numbers: 10 digits from 0, 0800/0900 lines, 14 + area code, and 112/113."""
    if not _PHONE_CHARS.match(value):
        return f"'{value}' is not a valid Dutch phone number (only digits, spaces and '-')"
    digits = _DIGITS.sub("", value)
    if digits.startswith("31") and value.strip().startswith("+"):
        digits = "0" + digits[2:]
    if digits in _SHORT_NUMBERS:
        return None
    if digits.startswith("14") and 4 <= len(digits) <= 6:
        return None
    if digits[:4] in {"0800", "0900", "0906", "0909"} and 8 <= len(digits) <= 11:
        return None
    if digits.startswith("0") and len(digits) == 10:
        return None
    return f"'{value}' is not a valid Dutch phone number (expected e.g. 030-1234567 or 0800-2000)"


def phone_digits(value: str) -> str:
    """The number as dialled, for tel: links and for comparing with the researched facts."""
    digits = _DIGITS.sub("", value)
    if value.strip().startswith("+31"):
        digits = "0" + digits[2:]
    return digits


def email_problem(value: str) -> str | None:
    return None if _EMAIL.match(value) else f"'{value}' is not an e-mail address"


def https_url_problem(value: str) -> str | None:
    if _URL.match(value):
        return None
    if value.startswith("http://"):
        return f"'{value}' must start with https:// (residents get only secure links)"
    return f"'{value}' is not a web address starting with https://"


def source_url_problem(value: str) -> str | None:
    return None if _ANY_URL.match(value) else f"'{value}' is not a web address"


def checked_date(value: str) -> date | None:
    """The first day of the period a `checked` value names; None for 'onbekend'."""
    match = _CHECKED.match(value)
    if not match:
        return None
    year, month, day = match.groups()
    return date(int(year), int(month or 1), int(day or 1))


def checked_problem(value: str) -> str | None:
    if value == UNKNOWN_DATE:
        return None
    try:
        found = checked_date(value)
    except ValueError:
        found = None
    if found is None:
        return f"'{value}' is not a date like 2024, 2024-05 or 2024-05-17 (or '{UNKNOWN_DATE}')"
    if found > date.today():
        return f"'{value}' lies in the future"
    return None


def opening_hours_problem(value: str) -> str | None:
    try:
        opening_hours.OpeningHours(value, country="NL")
    except (opening_hours.ParserError, SyntaxError, ValueError) as error:
        first_line = str(error).splitlines()[0] if str(error) else "cannot be read"
        return (
            f"'{value}' is not in opening_hours format ({first_line}); "
            "write e.g. 'Mo-Fr 09:00-17:00; PH off'"
        )
    return None
