import codecs

import pytest

from custseg.io.encoding import detect_encoding, transcode_to_utf8

TEXT = "客户编号,姓名,金额\r\nC001,张三,￥1,234.00\r\nC002,李四,88\r\n"


@pytest.mark.parametrize("encoding,expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"),
    ("gb18030", "gb18030"), ("utf-16", "utf-16"), ("utf-16-le", "utf-16-le"),
])
def test_detects_encoding(tmp_path, encoding, expected):
    path = tmp_path / "x.csv"
    path.write_bytes(TEXT.encode(encoding) * 20)
    assert detect_encoding(path) == expected


@pytest.mark.parametrize("encoding", ["gbk", "utf-16", "utf-16-le"])
def test_transcodes_to_utf8_with_lf(tmp_path, encoding):
    src, dest = tmp_path / "src.csv", tmp_path / "dest.csv"
    src.write_bytes(TEXT.encode(encoding))
    report = transcode_to_utf8(src, dest, detect_encoding(src))
    assert dest.read_text(encoding="utf-8") == TEXT.replace("\r\n", "\n")
    assert report.replaced_lines == []


def test_mixed_encodings_decode_per_line_and_report(tmp_path):
    src, dest = tmp_path / "mixed.csv", tmp_path / "dest.csv"
    src.write_bytes("a,名字\n1,张三\n".encode() + "2,李四\n".encode("gbk") + b"3,\xff\n")
    report = transcode_to_utf8(src, dest, detect_encoding(src))
    lines = dest.read_text(encoding="utf-8").splitlines()
    assert lines[:3] == ["a,名字", "1,张三", "2,李四"]
    assert lines[3] == "3,\ufffd"
    assert report.replaced_lines == [4]


def test_bom_is_not_part_of_the_first_header(tmp_path):
    src, dest = tmp_path / "bom.csv", tmp_path / "d.csv"
    src.write_bytes(codecs.BOM_UTF8 + "客户编号\n1\n".encode("gbk"))
    transcode_to_utf8(src, dest, "gb18030")
    assert dest.read_text(encoding="utf-8").startswith("客户编号")
