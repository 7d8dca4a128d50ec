"""How a CSV file was written: its delimiter and its text encoding, as people export them.

Excel in a French locale writes `;` and cp1252; Google Sheets and "CSV UTF-8" write `,` and
UTF-8 (with a BOM from Excel). The config may fix either (`source.csv_delimiter`,
`source.csv_encoding`); what it leaves empty is detected here, and the run says what it used.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

DELIMITERS = ",;\t|"
SAMPLE_BYTES = 256 * 1024
#: The encodings office exports use; limiting detection to them keeps its guess sane.
CANDIDATES = ["utf_8", "cp1252", "latin_1", "utf_16"]
NAMES = {"utf-8-sig": "UTF-8 with BOM", "utf-8": "UTF-8", "cp1252": "cp1252 (Windows Latin-1)"}


@dataclass(frozen=True)
class Dialect:
    """What a CSV file was read with, and whether each part was detected or configured."""

    delimiter: str
    encoding: str
    detected_delimiter: bool
    detected_encoding: bool

    def describe(self) -> str:
        """'";"-separated, cp1252 (Windows Latin-1)' for notices."""
        shown = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}
        sep = shown.get(self.delimiter, repr(self.delimiter))
        return f"{sep}-separated, {NAMES.get(self.encoding, self.encoding)}"


def sniff(path: Path, *, delimiter: str = "", encoding: str = "") -> Dialect:
    """The dialect of `path`: the given `delimiter`/`encoding`, or detected when empty."""
    with Path(path).open("rb") as f:
        sample = f.read(SAMPLE_BYTES)
    enc = encoding or detect_encoding(sample)
    sep = delimiter
    if not sep:
        text = sample.decode(enc, errors="replace")
        sep = detect_delimiter(text)
    return Dialect(sep, enc, not delimiter, not encoding)


def detect_encoding(sample: bytes) -> str:
    """utf-8-sig for a BOM, utf-8 when it decodes, else the best of CANDIDATES."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as ex:
        if ex.start >= len(sample) - 3:  # a character cut by the end of the sample
            return "utf-8"
    best = from_bytes(sample, cp_isolation=CANDIDATES).best()
    name = best.encoding if best is not None else "cp1252"
    # latin-1 decodes anything; cp1252 is what Windows exports really use (€, curly quotes)
    return "cp1252" if name in ("latin_1", "cp1252", "iso8859_1") else name


def detect_delimiter(text: str) -> str:
    """The delimiter of the first lines: csv.Sniffer, else the most frequent candidate in the
    header line, else a comma."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if not lines:
        return ","
    try:
        found = csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = ""
    counts = {d: lines[0].count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    # the sniffer can pick a character of the data; trust it only if the header agrees
    if found and counts.get(found, 0) > 0 and counts[found] >= counts[best] / 2:
        return found
    return best if counts[best] else ","


def check_encoding(name: str) -> str:
    """`name` if Python knows that encoding, else ValueError (for the config check)."""
    try:
        codecs.lookup(name)
    except LookupError as ex:
        raise ValueError(
            f"unknown encoding {name!r}; use e.g. 'utf-8', 'utf-8-sig' or 'cp1252', or leave "
            "it empty to detect it"
        ) from ex
    return name
