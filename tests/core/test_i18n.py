"""The English catalogue is complete: every string translated, none fuzzy, placeholders kept."""

from __future__ import annotations

import re
from pathlib import Path

import polib

PO_FILE = Path(__file__).resolve().parents[2] / "src/grassroots/locale/en/LC_MESSAGES/django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_it_translates_every_string_to_english() -> None:
    po = polib.pofile(str(PO_FILE))
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    for entry in po.translated_entries():
        wanted = placeholders(entry.msgid)
        if entry.msgid_plural:
            for msgstr in entry.msgstr_plural.values():
                assert placeholders(msgstr) == wanted | placeholders(entry.msgid_plural), (
                    entry.msgid
                )
        else:
            assert placeholders(entry.msgstr) == wanted, entry.msgid
