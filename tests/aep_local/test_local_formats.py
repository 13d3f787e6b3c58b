"""Record counting by format and decompression, without S3 (the runs' tests read real objects)."""

from __future__ import annotations

import bz2
import gzip
import io
import tarfile
import zipfile
import zlib

import pytest

from aep_local import formats


def test_delimited_counts_rows_after_the_header_and_fails_other_widths() -> None:
    text = 'id,name,note\n1,"Smith, J",x\n\n2,b\n3,c,"multi\nline"\n4,d,e,f\n'
    count = formats.count_delimited(text)
    assert (count.records, count.failed) == (4, 2)
    assert count.output_bytes == len(b'{"id":"1","name":"Smith, J","note":"x"}') + len(
        b'{"id":"3","name":"c","note":"multi\\nline"}')
    assert formats.count_delimited("a;b\n1;2\n", ";").records == 1
    assert formats.count_delimited("").records == 0


def test_json_arrays_objects_and_lines() -> None:
    assert formats.count_json('[{"a": 1}, {"b": 2}, 3]') == formats.Count(3, 1, 14)
    assert formats.count_json('{"a": 1}') == formats.Count(1, 0, 7)
    lines = formats.count_json('{"a": 1}\n\n{"a": 2\n"text"\n{"b": true}\n')
    assert (lines.records, lines.failed) == (4, 2)


@pytest.mark.parametrize(("kind", "pack"), [
    ("gzip", gzip.compress),
    ("bzip2", bz2.compress),
    ("deflate", zlib.compress),
    ("deflate", lambda d: zlib.compress(d)[2:-4]),   # raw deflate
])
def test_decompress(kind: str, pack: object) -> None:
    data = b"h\n" + b"1\n" * 1000
    assert formats.decompress(pack(data), kind, 10_000) == data  # type: ignore[operator]
    with pytest.raises(formats.TooLarge):
        formats.decompress(pack(data), kind, 100)  # type: ignore[operator]


def test_decompress_archives() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.csv", "h\n1\n")
        archive.writestr("b.csv", "2\n")
    assert formats.decompress(buffer.getvalue(), "zipDeflate", 1000) == b"h\n1\n2\n"
    for kind, mode in (("tar", "w"), ("tarGzip", "w:gz")):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode=mode) as archive:
            info = tarfile.TarInfo("a.csv")
            info.size = 4
            archive.addfile(info, io.BytesIO(b"h\n1\n"))
        assert formats.decompress(buffer.getvalue(), kind, 1000) == b"h\n1\n"
    assert formats.decompress(b"as is", None, 10) == b"as is"
    with pytest.raises(OSError):
        formats.decompress(b"not gzip", "gzip", 1000)


def test_parquet_footer_errors() -> None:
    with pytest.raises(ValueError, match="PAR1"):
        formats.parquet_footer_length(b"12345678")
    assert formats.parquet_footer_length(b"\x10\x00\x00\x00PAR1") == 16
    with pytest.raises(ValueError, match="ends early"):
        formats.parquet_num_rows(b"\x15")
    with pytest.raises(ValueError, match="no num_rows"):
        formats.parquet_num_rows(b"\x15\x02\x00")
    # a boolean, a double, a map (field 7, long header) and a struct are skipped on the way to field 3
    footer = (b"\x11" + b"\x17" + b"\x00" * 8 + b"\x0b\x0e" + b"\x01\x88\x01a\x01b" + b"\x1c\x00"
              + b"\x06\x06\x54\x00")
    assert formats.parquet_num_rows(footer) == 42
