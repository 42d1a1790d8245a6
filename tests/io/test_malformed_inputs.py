"""Reader, encoding and mapping fixes found by the malformed-input corpus (tests/corpus)."""

import codecs
import json

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlwt

from custseg.errors import InputError
from custseg.io.encoding import detect_encoding, transcode_to_utf8
from custseg.io.readers import read_source
from custseg.mapping import infer_mapping
from tests.conftest import staged, write

HEADER = "订单号,客户编号,下单时间,实付金额,姓名"


def test_utf8_bom_does_not_hide_gbk_lines_appended_later(db, tmp_path):
    path = tmp_path / "m.csv"
    path.write_bytes(codecs.BOM_UTF8 + f"{HEADER}\nO1,C1,2024-01-02,1,张三\n".encode()
                     + "O2,C2,2024-01-03,2,李四\n".encode("gbk"))
    assert detect_encoding(path) == "gb18030"
    res = read_source(db, path, "s")
    assert [r[4] for r in staged(db)] == ["张三", "李四"]
    assert res.headers[0] == "订单号" and any("mixed encodings" in n for n in res.notes)


def test_undecodable_line_keeps_what_it_can_and_is_a_note_not_a_reject(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(f"{HEADER}\nO1,C1,2024-01-02,1,张三\n".encode()
                     + "O2,C2,2024-01-03,2,李".encode() + b"\xff\xc0\n")
    dest = tmp_path / "out.csv"
    report = transcode_to_utf8(path, dest, detect_encoding(path))
    assert report.replaced_lines == [3]
    assert dest.read_text(encoding="utf-8").splitlines()[2].endswith(",李\ufffd\ufffd")
    res = read_source(db, path, "s")
    assert res.rejects == [] and len(staged(db)) == 2
    assert any("U+FFFD: line 3" in n for n in res.notes)


def test_unclosed_quote_costs_only_its_own_line(db, tmp_path):
    text = (f"{HEADER}\nO1,C1,2024-01-02,1,a\n\"O2,C2,2024-01-03,2,b\nO3,C3,2024-01-04,3,c\n"
            "O4,C4,2024-01-05,4,\"多\n行\"\nO5,C5,2024-01-06,5,e\n")
    res = read_source(db, write(tmp_path / "q.csv", text), "s")
    assert [(r[0], r[-1]) for r in staged(db)] == [("O1", 2), ("O3", 4), ("O4", 5), ("O5", 7)]
    assert staged(db)[2][4] == "多\n行"
    assert [r.row for r in res.rejects] == [3]
    assert res.rejects[0].raw.startswith('"O2')


def test_quote_left_open_to_the_end_of_the_file(db, tmp_path):
    text = f"{HEADER}\nO1,C1,2024-01-02,1,a\nO2,\"C2,2024-01-03,2,b\nO3,C3,2024-01-04,3,c"
    res = read_source(db, write(tmp_path / "q.csv", text), "s")
    assert [r[0] for r in staged(db)] == ["O1", "O3"]
    assert [r.row for r in res.rejects] == [3]


def test_a_stray_nul_byte_is_text_but_archives_are_named(db, tmp_path):
    read_source(db, write(tmp_path / "n.csv", f"{HEADER}\nO1,C1,2024-01-02,1,李\x00四\n"), "s")
    assert staged(db)[0][4] == "李\x00四"
    zipped = tmp_path / "z.csv"
    zipped.write_bytes(b"PK\x03\x04" + bytes(60))
    with pytest.raises(InputError, match="zip archive or an .xlsx"):
        read_source(db, zipped, "s")


def test_damaged_parquet_is_one_line(db, tmp_path):
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"a": [1, 2]}), path)
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(InputError) as info:
        read_source(db, path, "s")
    assert "\n" not in str(info.value) and "x.parquet" in str(info.value)


def test_json_array_elements_that_are_not_objects_are_rejected(db, tmp_path):
    data = [{"customer_id": "1"}, "x", 3, {"customer_id": "2"}]
    res = read_source(db, write(tmp_path / "a.json", json.dumps(data)), "s")
    assert [r[-1] for r in staged(db)] == [1, 4]
    assert [(r.row, r.raw) for r in res.rejects] == [(2, '"x"'), (3, "3")]


def test_excel_numbers_beyond_15_digits_are_digits_and_noted(db, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["客户编号", "姓名"])
    wb.active.append([1.23456789012346e17, "张三"])
    wb.active.append([13812345678.0, "李四"])
    wb.save(tmp_path / "c.xlsx")
    res = read_source(db, tmp_path / "c.xlsx", "s")
    assert [r[0] for r in staged(db)] == ["123456789012346000", "13812345678"]
    assert len(res.notes) == 1 and "客户编号" in res.notes[0] and "15" in res.notes[0]


def test_excel_cover_sheet_is_skipped_unless_a_sheet_is_named(db, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "封面"
    wb.active.append(["2024年销售报表"])
    data = wb.create_sheet("明细")
    data.append(["说明"])
    data.append(["客户编号", "金额"])
    data.append(["C1", 1.5])
    wb.save(tmp_path / "b.xlsx")
    res = read_source(db, tmp_path / "b.xlsx", "s")
    assert res.headers == ["客户编号", "金额"] and res.header_row == 2
    assert staged(db) == [("C1", "1.5", 3)] and "明细" in res.notes[0]
    res = read_source(db, tmp_path / "b.xlsx", "t", sheet="封面")
    assert res.headers == ["2024年销售报表"] and res.notes == []


def test_xls_cover_sheet_and_unknown_sheet(db, tmp_path):
    wb = xlwt.Workbook(encoding="utf-8")
    wb.add_sheet("封面").write(0, 0, "报表")
    ws = wb.add_sheet("客户")
    for c, v in enumerate(["客户编号", "手机号"]):
        ws.write(0, c, v)
    ws.write(1, 0, "C1")
    ws.write(1, 1, "13812345678")
    wb.save(str(tmp_path / "c.xls"))
    res = read_source(db, tmp_path / "c.xls", "s")
    assert staged(db) == [("C1", "13812345678", 2)] and "客户" in res.notes[0]
    with pytest.raises(InputError, match="封面"):
        read_source(db, tmp_path / "c.xls", "t", sheet="orders")


def test_a_repeated_header_still_claims_its_key_column():
    headers = ["订单号", "客户编号", "下单时间", "金额", "金额_2"]
    with pytest.raises(InputError, match="repeated '金额'"):
        infer_mapping(headers, "orders", source="x.csv")
    assert infer_mapping(headers, "orders", {"金额_2": "amount"}).columns["amount"] == "金额_2"
    assert infer_mapping(headers, "orders", {"金额": "amount"}).columns["amount"] == "金额"
    # a header that merely ends in a number, with no plain twin, is not a repeat
    with pytest.raises(InputError, match="required amount"):
        infer_mapping(["订单号", "客户编号", "日期", "金额_2"], "orders")


def test_damaged_parquet_data_page_is_an_input_error(db, tmp_path):
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"a": [f"C{i:05d}" for i in range(1000)]}), path,
                   compression="snappy")
    data = bytearray(path.read_bytes())
    data[100:2000] = b"\xab" * 1900
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="not a readable Parquet file"):
        read_source(db, path, "s")


@pytest.mark.parametrize("name,text", [
    ("c.csv", "客户编号,Name,name\nC1,a,b\n"),
    ("c.jsonl", '{"客户编号": "C1", "Name": "a", "name": "b"}\n'),
])
def test_headers_that_differ_only_in_case_stay_distinct(db, tmp_path, name, text):
    res = read_source(db, write(tmp_path / name, text), "s")
    assert res.headers == ["客户编号", "Name", "name_2"]
    assert staged(db)[0][:3] == ("C1", "a", "b")
    assert infer_mapping(res.headers, "customers").notes == [
        "name: used 'Name', ignored 'name_2'"]
