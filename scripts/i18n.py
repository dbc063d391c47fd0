"""Refresh the English catalogue from the source: extract every Chinese message (``_()`` calls,
domain errors, templates), keep existing translations, add new ones empty, and list what is
untranslated. Usage: ``python scripts/i18n.py [--check]`` (``--check`` exits 1 when any is missing).
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
KEYWORDS = ["_", "DomainError", "NotFound", "Forbidden", "Conflict", "RateLimited", "InvalidDocument",
            "SealKeyError", "BadImage", "TimestampError", "FontMissing", "SigningError",
            "TooExpensive", "N_"]


def is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def extract() -> Catalog:
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        cmd = [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
               "--no-default-keywords", "--ignore-dirs=.venv tests migrations", "-o", str(pot)]
        for k in KEYWORDS:
            cmd += ["-k", k]
        subprocess.run(cmd + [str(ROOT)], check=True, capture_output=True, cwd=ROOT)
        with pot.open("rb") as fh:
            return read_po(fh)


def main() -> int:
    source = extract()
    with PO.open("rb") as fh:
        old = read_po(fh, locale="en")
    known = {m.id: m.string for m in old if m.id}
    new = Catalog(locale="en", header_comment="# English translations. Source strings are Simplified Chinese.")
    missing = []
    extracted = {m.id for m in source if m.id and is_chinese(str(m.id))}
    sys.path.insert(0, str(ROOT))
    from court import display  # value names live in tables, not in _() calls

    extracted |= {name for table in display.LABELS.values() for name in table.values()} | set(display.CHANNEL.values())
    extracted |= {name for table in display.WORDS for name in table.values() if is_chinese(name)}
    # entries not found by extraction (texts kept in constants and passed to translate()) stay
    for msgid in sorted(extracted | set(known), key=str):
        new.add(msgid, known.get(msgid, ""))
        if not known.get(msgid):
            missing.append(str(msgid))
    if "--check" not in sys.argv:
        with PO.open("wb") as fh:
            write_po(fh, new, width=0, omit_header=False, no_location=True)
    for m in missing:
        print("untranslated:", m)
    return 1 if missing and "--check" in sys.argv else 0


if __name__ == "__main__":
    sys.exit(main())
