"""Chinese text helpers: pinyin initials for search and sorting (pypinyin)."""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=4096)
def initials(text: str) -> str:
    """幸福社区 → xfsq (letters and digits kept as they are, lower-cased)."""
    return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")).lower()


@lru_cache(maxsize=4096)
def full_pinyin(text: str) -> str:
    return "".join(lazy_pinyin(text)).lower()


def matches(text: str, query: str) -> bool:
    """A name matches a query by substring, by pinyin initials (xfsq) or by full pinyin."""
    query = query.strip().lower()
    if not query:
        return True
    return query in text.lower() or query in initials(text) or query in full_pinyin(text)
