"""Fill English translations into the catalogue from a JSON object {chinese: english} on stdin."""
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "translations" / "en" / "LC_MESSAGES" / "messages.po"
pairs = json.load(sys.stdin)
with PO.open("rb") as fh:
    cat = read_po(fh, locale="en")
for zh, en in pairs.items():
    if zh in cat:
        cat[zh].string = en
    else:
        cat.add(zh, en)
with PO.open("wb") as fh:
    write_po(fh, cat, width=0, no_location=True)
print(f"{len(pairs)} filled")
