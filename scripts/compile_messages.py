"""Compile the .po catalogs to .mo with polib, so no gettext tools are needed on the machine.
Only catalogs whose .mo is missing or older than the .po are rebuilt."""

from __future__ import annotations

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent / "src" / "grassroots"


def compile_all(force: bool = False) -> int:
    built = 0
    for po_path in ROOT.glob("**/locale/*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if force or not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            built += 1
    return built


if __name__ == "__main__":
    count = compile_all(force="--force" in sys.argv)
    print(f"compiled {count} message catalog(s)")
