"""Parsing of ids that clients send as text (URL tokens, cursors, query parameters, form fields).

``str.isdigit()`` is true for superscript two and the Arabic-Indic digits, which ``int()`` then refuses
or reads as another number; and an id past the database's 64-bit range makes the query itself fail.
Every id parsed from text goes through ``parse_id``: ASCII digits only, at most 18 of them (below
2**63), or ``None``.
"""

from __future__ import annotations

from typing import TypeGuard

MAX_DIGITS = 18
#: The largest id a client may send (serializers bound integer ids by it).
MAX_ID = 10**MAX_DIGITS - 1


def is_id(text: object) -> TypeGuard[str]:
    return isinstance(text, str) and 0 < len(text) <= MAX_DIGITS and text.isascii() and text.isdigit()


def parse_id(text: object) -> int | None:
    """The non-negative integer ``text`` spells in ASCII digits, or None."""
    return int(text) if is_id(text) else None
