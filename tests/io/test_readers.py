"""Each supported format and the structural oddities of real exports, staged as text."""

import json
import sqlite3

import duckdb
import openpyxl
import pandas as pd
import pytest
import xlwt

from custseg.errors import InputError
from custseg.io.readers import read_source
from tests.conftest import staged, write

HEADER = "客户编号,订单号,下单时间,实付金额"


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_separators(db, tmp_path, sep):
    path = write(tmp_path / "a.csv", f"{HEADER}\n00001,O1,2024-01-05,12.5\n".replace(",", sep))
    res = read_source(db, path, "s")
    assert res.delimiter == sep and res.headers == HEADER.split(",")
    assert staged(db) == [("00001", "O1", "2024-01-05", "12.5", 2)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_encodings_keep_chinese_headers_and_values(db, tmp_path, encoding):
    path = write(tmp_path / "a.csv", f"{HEADER},姓名\r\n00001,O1,2024/1/5,\"￥1,234.00\",张三\r\n",
                 encoding)
    res = read_source(db, path, "s")
    assert res.headers == [*HEADER.split(","), "姓名"]
    assert staged(db)[0][:5] == ("00001", "O1", "2024/1/5", "￥1,234.00", "张三")


def test_preamble_lines_are_skipped_and_rows_keep_their_line_numbers(db, tmp_path):
    text = f"销售报表 2024年\n导出人: 系统\n{HEADER}\n1,O1,2024-01-05,1\n2,O2,2024-01-06,2\n"
    res = read_source(db, write(tmp_path / "a.csv", text), "s")
    assert res.header_row == 3
    assert [r[-1] for r in staged(db)] == [4, 5]


def test_ragged_rows_are_rejected_with_their_line(db, tmp_path):
    text = f"{HEADER}\n1,O1,2024-01-05,1\n2,O2\n3,O3,2024-01-07,3,extra\n4,O4,2024-01-08,4\n"
    res = read_source(db, write(tmp_path / "a.csv", text), "s")
    assert [r[0] for r in staged(db)] == ["1", "4"]
    assert [(r.row, "fields" in r.reason) for r in res.rejects] == [(3, True), (4, True)]
    assert res.rejects[1].raw.startswith("3,O3")


def test_embedded_newlines_crlf_mix_and_quotes(db, tmp_path):
    text = f'{HEADER}\r\n1,O1,2024-01-05,"1,000"\n2,"O\n2",2024-01-06,2\r\n3,O3,2024-01-07,3\n'
    res = read_source(db, write(tmp_path / "a.csv", text), "s")
    got = staged(db)
    assert [r[1] for r in got] == ["O1", "O\n2", "O3"]
    assert got[0][3] == "1,000"
    assert [r[-1] for r in got] == [2, 3, 5]
    assert res.rejects == []


def test_unescaped_quote_does_not_swallow_following_rows(db, tmp_path):
    text = f'{HEADER}\n1,O1,2024-01-05,1\n2,O"2,2024-01-06,2\n3,O3,2024-01-07,3\n'
    res = read_source(db, write(tmp_path / "a.csv", text), "s")
    assert {r[1] for r in staged(db)} >= {"O1", "O3"}
    assert len(staged(db)) + len(res.rejects) == 3


def test_duplicate_and_blank_headers_stay_distinct(db, tmp_path):
    res = read_source(db, write(tmp_path / "a.csv", "金额,,金额\n1,2,3\n"), "s")
    assert res.headers == ["金额", "column_2", "金额_2"]


@pytest.mark.parametrize("text", ["", "\n\n  \n"])
def test_empty_files_are_a_clear_error(db, tmp_path, text):
    with pytest.raises(InputError, match="empty"):
        read_source(db, write(tmp_path / "a.csv", text), "s")


def test_header_only_file_stages_no_rows(db, tmp_path):
    res = read_source(db, write(tmp_path / "a.csv", HEADER + "\n"), "s")
    assert res.rows == 0 and res.headers == HEADER.split(",")


def test_binary_junk_is_refused(db, tmp_path):
    path = tmp_path / "junk.csv"
    path.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(InputError, match="binary"):
        read_source(db, path, "s")


def test_very_long_line(db, tmp_path):
    long = "x" * 3_000_000
    read_source(db, write(tmp_path / "a.csv", f"a,b\n1,{long}\n"), "s")
    assert len(staged(db)[0][1]) == 3_000_000


def test_xlsx_dates_numbers_and_leading_zero_text(db, tmp_path):
    import datetime as dt

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["客户明细"])
    ws.append(["客户编号", "注册时间", "年龄", "金额"])
    ws.append(["00001", dt.datetime(2024, 3, 5), 30, 12.5])
    ws.append(["00002", dt.datetime(2024, 3, 6, 10, 30), 41.0, "#N/A"])
    wb.save(tmp_path / "c.xlsx")
    res = read_source(db, tmp_path / "c.xlsx", "s")
    assert res.header_row == 2
    assert staged(db) == [("00001", "2024-03-05", "30", "12.5", 3),
                          ("00002", "2024-03-06 10:30:00", "41", "#N/A", 4)]


def test_xls(db, tmp_path):
    wb = xlwt.Workbook()
    ws = wb.add_sheet("客户")
    for c, v in enumerate(["客户编号", "年龄"]):
        ws.write(0, c, v)
    ws.write(1, 0, "00007")
    ws.write(1, 1, 33)
    wb.save(str(tmp_path / "c.xls"))
    read_source(db, tmp_path / "c.xls", "s")
    assert staged(db) == [("00007", "33", 2)]


def test_excel_missing_sheet_names_the_sheets(db, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "订单"
    wb.save(tmp_path / "o.xlsx")
    with pytest.raises(InputError, match="订单"):
        read_source(db, tmp_path / "o.xlsx", "s", sheet="orders")


def test_parquet_values_become_text(db, tmp_path):
    pd.DataFrame({"customer_id": ["00001"], "amount": [12.5],
                  "order_date": pd.to_datetime(["2024-03-05"]).date}).to_parquet(
        tmp_path / "o.parquet")
    read_source(db, tmp_path / "o.parquet", "s")
    assert staged(db) == [("00001", "12.5", "2024-03-05", 2)]


def test_jsonl_bad_lines_are_rejected_with_their_line(db, tmp_path):
    lines = [json.dumps({"customer_id": "1", "ts": "2024-01-01"}), "{broken", "[1,2]",
             json.dumps({"customer_id": "2", "event_type": "login"})]
    res = read_source(db, write(tmp_path / "e.jsonl", "\n".join(lines)), "s")
    assert res.headers == ["customer_id", "ts", "event_type"]
    assert [r[-1] for r in staged(db)] == [1, 4]
    assert [r.row for r in res.rejects] == [2, 3]


def test_sql_database_by_url(tmp_path):
    from custseg.io.readers import read_sql

    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as lite:
        lite.execute("CREATE TABLE crm (cid TEXT, city TEXT)")
        lite.execute("INSERT INTO crm VALUES ('007', '深圳')")
    con = duckdb.connect()
    res = read_sql(con, f"sqlite:///{path}", "s", table="crm")
    assert res.headers == ["cid", "city"]
    assert con.execute("SELECT * FROM s").fetchall() == [("007", "深圳", 1)]
    with pytest.raises(InputError, match="query failed"):
        read_sql(con, f"sqlite:///{path}", "t", query="SELECT * FROM nope")


def test_known_headers_win_over_the_width_of_ragged_data(db, tmp_path):
    text = "订单号,客户编号,下单时间,实付金额,手机号,城市\nO1,1,2024-01-01,10\nO2,2,2024-01-02,20\n"
    res = read_source(db, write(tmp_path / "a.csv", text), "s")
    assert res.header_row == 1 and len(res.headers) == 6
    assert [r.row for r in res.rejects] == [2, 3]


def test_row_numbers_follow_the_file_across_many_chunks(db, tmp_path):
    n = 300_000
    body = "".join(f"{i + 2},x\n" for i in range(n))
    read_source(db, write(tmp_path / "big.csv", "line,v\n" + body), "s")
    mismatches = db.execute('SELECT count(*) FROM s WHERE CAST("line" AS BIGINT) <> _row'
                            ).fetchone()[0]
    assert db.execute("SELECT count(*) FROM s").fetchone()[0] == n
    assert mismatches == 0


def test_quotes_in_headers_do_not_break_staging(db, tmp_path):
    res = read_source(db, write(tmp_path / "a.csv", 'a,"b""c",\'d\n1,2,3\n'), "s")
    assert res.headers == ["a", 'b"c', "'d"]
    assert staged(db) == [("1", "2", "3", 2)]
