"""The package's own inflate/deflate (ISA-L) against zipfile, on real workbooks and damage."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from excel_helpers import CORPUS

from sheetfunnel.backends.excel import errorcells
from sheetfunnel.backends.excel.deflate import Deflater, crc32, inflate, inflate_chunks
from sheetfunnel.backends.excel.zipcopy import ZipCopier

WORKBOOKS = sorted(p for p in CORPUS.iterdir() if p.suffix in (".xlsx", ".xlsm"))


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: p.name)
def test_every_member_of_the_corpus_inflates_as_zipfile_reads_it(path: Path) -> None:
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            expected = zf.read(info)
            assert inflate(zf, info.filename) == expected, info.filename
            assert b"".join(inflate_chunks(zf, info.filename)) == expected, info.filename


def _zip(tmp_path: Path, members: dict[str, bytes], method: int) -> Path:
    path = tmp_path / "pkg.zip"
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_stored_members_and_big_members_round_trip(tmp_path: Path) -> None:
    big = b"".join(
        b'<c r="A%d" t="inlineStr"><is><t>x%d</t></is></c>' % (i, i) for i in range(300_000)
    )
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        path = _zip(tmp_path, {"a.xml": big, "empty.xml": b""}, method)
        with zipfile.ZipFile(path) as zf:
            assert inflate(zf, "a.xml") == big
            assert b"".join(inflate_chunks(zf, "a.xml")) == big
            assert inflate(zf, "empty.xml") == b""


def _damage(path: Path, member: str, offset_in_data: int) -> None:
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    raw = bytearray(path.read_bytes())
    name_len = int.from_bytes(raw[info.header_offset + 26 : info.header_offset + 28], "little")
    extra = int.from_bytes(raw[info.header_offset + 28 : info.header_offset + 30], "little")
    raw[info.header_offset + 30 + name_len + extra + offset_in_data] ^= 0xFF
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_a_damaged_member_is_a_bad_zip_as_zipfile_says(tmp_path: Path, method: int) -> None:
    data = b"<sheetData>" + b"<row/>" * 5000 + b"</sheetData>"
    path = _zip(tmp_path, {"sheet.xml": data}, method)
    _damage(path, "sheet.xml", 40)
    with zipfile.ZipFile(path) as zf:
        with pytest.raises(zipfile.BadZipFile):
            inflate(zf, "sheet.xml")
        with pytest.raises(zipfile.BadZipFile):
            b"".join(inflate_chunks(zf, "sheet.xml"))


def test_a_bad_local_header_is_a_bad_zip(tmp_path: Path) -> None:
    path = _zip(tmp_path, {"a.xml": b"<a/>" * 100}, zipfile.ZIP_DEFLATED)
    raw = bytearray(path.read_bytes())
    raw[0:4] = b"XXXX"
    path.write_bytes(bytes(raw))
    with zipfile.ZipFile(path) as zf, pytest.raises(zipfile.BadZipFile, match="local header"):
        inflate(zf, "a.xml")


def test_a_zip_in_memory_goes_through_zipfile(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.xml", b"<a/>" * 1000)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        assert inflate(zf, "a.xml") == b"<a/>" * 1000


def test_members_the_copier_deflates_read_back_in_zipfile(tmp_path: Path) -> None:
    src = _zip(tmp_path, {"keep.xml": b"<keep/>" * 10, "new.xml": b"old"}, zipfile.ZIP_DEFLATED)
    big = b"<r>" + b"0123456789" * 600_000 + b"</r>"  # past the large-part threshold
    out = tmp_path / "out.zip"
    with src.open("rb") as fh, zipfile.ZipFile(fh) as zf, out.open("wb") as dst:
        copier = ZipCopier(zf, fh, dst)
        copier.copy("keep.xml")
        copier.write("new.xml", [big[:1000], big[1000:]])
        copier.write("small.xml", [b"<s/>"])
        copier.close()
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        assert zf.read("new.xml") == big
        assert zf.read("small.xml") == b"<s/>"
        assert zf.read("keep.xml") == b"<keep/>" * 10


def test_deflater_and_crc_agree_with_zlib() -> None:
    import zlib

    data = b"stage,score\n" * 10_000
    comp = Deflater(1)
    packed = comp.compress(data) + comp.flush()
    assert zlib.decompress(packed, -15) == data
    assert crc32(data) == zlib.crc32(data)
    assert crc32(data[100:], crc32(data[:100])) == zlib.crc32(data)


def test_the_error_scan_finds_a_mark_split_between_two_chunks(tmp_path: Path) -> None:
    # stored, the member comes in chunks of exactly 4 MiB: put the mark across the first edge
    cell = b'<c r="A1" t="e"><v>#REF!</v></c>'
    at = (1 << 22) - cell.index(b'"e"')  # the chunk ends inside t="e"
    sheet = b" " * at + cell + b" " * (1 << 22)
    path = _zip(tmp_path, {"s.xml": sheet}, zipfile.ZIP_STORED)
    with zipfile.ZipFile(path) as zf:
        chunks = list(inflate_chunks(zf, "s.xml"))
        assert len(chunks) == 3 and b't="e"' not in chunks[0] and b't="e"' not in chunks[1]
        assert errorcells._has_errors(zf, "s.xml")
    plain = _zip(tmp_path, {"s.xml": sheet.replace(b't="e"', b't="n"')}, zipfile.ZIP_STORED)
    with zipfile.ZipFile(plain) as zf:
        assert not errorcells._has_errors(zf, "s.xml")
