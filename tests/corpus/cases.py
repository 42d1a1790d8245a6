"""A corpus of malformed input files (SPEC §3, "Inputs the product must survive").

Each `Case` names a file, the table it is loaded into, a builder that writes the file's bytes
into a folder, and what must happen when a user loads it with the CLI:

- ``loads``: exit 0 and no row of any table is rejected or removed (flags and changed values
  are allowed, and are asserted through ``rules``);
- ``quarantines``: exit 0 and at least one row is rejected or removed, with its rule logged;
- ``clear error``: exit 1 with a short message that names the file.

``rows`` is the number of data records the file holds; after a load it must equal
``rows_in`` of the target table in ``custseg quality --json``. Where the count is a matter of
interpretation ``at_least`` is set and the case says why. ``rules`` must appear in the quality
report and in ``custseg quarantine list``; ``error`` must be in the error message; ``output``
in what ``ingest`` prints (its notes); ``sql`` pairs a query on the project database with the
rows it must return. ``tolerant`` sets ``[cleaning] max_missing_rate = 1.0`` to see row-level
quarantine instead of the completeness gate. ``xfail`` names a known bug outside the readers.

Builders are deterministic: fixed seeds, fixed zip entry times (.xlsx files written by openpyxl
carry the time they were saved, their content does not change).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

LOADS, QUARANTINES, ERROR = "loads", "quarantines", "clear error"
OUTCOMES = (LOADS, QUARANTINES, ERROR)

Builder = Callable[[Path], Path]


@dataclass(frozen=True)
class Case:
    """One malformed input and the outcome a user must see."""

    name: str
    table: str
    build: Builder
    outcome: str
    rows: int | None = None
    at_least: bool = False
    rules: tuple[str, ...] = ()
    error: str = ""
    tolerant: bool = False
    sql: tuple[tuple[str, list], ...] = ()
    output: str = ""
    xfail: str = ""
    category: str = ""


# ---------------------------------------------------------------------------------------------
# helpers

ORDER_HEADER = ["订单号", "客户编号", "下单时间", "实付金额"]
CUSTOMER_HEADER = ["客户编号", "姓名", "手机号", "城市"]
NAMES = ["张三", "李四", "王五", "赵六", "钱七", "孙八", "周九", "吴十"]


def order_rows(n: int, *, start: int = 1) -> list[list[str]]:
    """``n`` ordinary order lines: O0001/C001/2024-01-02/101.00 …, amounts close together."""
    return [[f"O{i:04d}", f"C{i:03d}", f"2024-01-{i % 28 + 1:02d}", f"{100 + i}.00"]
            for i in range(start, start + n)]


def table_text(header: list[str], rows: list[list[str]], *, sep: str = ",", eol: str = "\n",
               final_eol: bool = True) -> str:
    out = eol.join(sep.join(r) for r in [header, *rows])
    return out + eol if final_eol else out


def text_file(name: str, content: str, encoding: str = "utf-8", *, prefix: bytes = b""
              ) -> Builder:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(prefix + content.encode(encoding))
        return path

    return build


def bytes_file(name: str, make: Callable[[], bytes]) -> Builder:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(make())
        return path

    return build


def id_check(first17: str) -> str:
    """GB 11643 check character of the first 17 digits of a resident ID number."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11]


def valid_id(first17: str) -> str:
    return first17 + id_check(first17)


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def _workbook():
    import openpyxl

    wb = openpyxl.Workbook()
    stamp = dt.datetime(2024, 1, 1)
    wb.properties.created = wb.properties.modified = stamp
    return wb


def xlsx_file(name: str, fill: Callable) -> Builder:
    """An .xlsx written by openpyxl; ``fill(workbook)`` adds the content."""

    def build(folder: Path) -> Path:
        wb = _workbook()
        fill(wb)
        path = folder / name
        wb.save(path)
        return path

    return build


def _xlsx_bytes(fill: Callable) -> bytes:
    wb = _workbook()
    fill(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def parquet_file(name: str, make_table: Callable) -> Builder:
    def build(folder: Path) -> Path:
        import pyarrow.parquet as pq

        path = folder / name
        pq.write_table(make_table(), path)
        return path

    return build


def _sheet_orders(ws, rows: list[list]) -> None:
    ws.append(ORDER_HEADER)
    for r in rows:
        ws.append(r)


CASES: list[Case] = []


def case(name: str, table: str, build: Builder, outcome: str, category: str, **kw) -> None:
    assert outcome in OUTCOMES, outcome
    assert all(c.name != name for c in CASES), name
    CASES.append(Case(name, table, build, outcome, category=category, **kw))


NAMES_SQL = "SELECT name FROM customers ORDER BY customer_id"

# ---------------------------------------------------------------------------------------------
# encodings

_NAMED = table_text([*ORDER_HEADER, "姓名"],
                    [r + [n] for r, n in zip(order_rows(3), NAMES, strict=False)])
_NAMED_CRLF = _NAMED.replace("\n", "\r\n")
_THREE_NAMES = [("张三",), ("李四",), ("王五",)]

case("utf8_no_bom", "orders", text_file("utf8.csv", _NAMED), LOADS, "encoding", rows=3,
     sql=((NAMES_SQL, _THREE_NAMES),))
case("utf8_bom_crlf", "orders", text_file("utf8_bom.csv", _NAMED_CRLF, prefix=b"\xef\xbb\xbf"),
     LOADS, "encoding", rows=3,
     sql=(("SELECT order_id FROM orders ORDER BY 1", [("O0001",), ("O0002",), ("O0003",)]),))
case("gbk", "orders", text_file("gbk.csv", _NAMED_CRLF, "gbk"), LOADS, "encoding", rows=3,
     sql=((NAMES_SQL, _THREE_NAMES),))
# 𠮷 (U+20BB7) and 䶮 exist in GB18030 but not in GBK
_GB18030 = table_text([*ORDER_HEADER, "姓名"],
                      [r + [n] for r, n in zip(order_rows(3), ["王𠮷", "刘䶮", "张三"],
                                               strict=True)])
case("gb18030_four_byte_chars", "orders", text_file("gb18030.csv", _GB18030, "gb18030"), LOADS,
     "encoding", rows=3, sql=((NAMES_SQL, [("王𠮷",), ("刘䶮",), ("张三",)]),))
# Excel "Unicode text (*.txt)": UTF-16 LE with BOM, tab separated, CRLF
case("utf16le_excel_unicode_text", "orders",
     text_file("unicode.txt", "\ufeff" + _NAMED_CRLF.replace(",", "\t"), "utf-16-le"), LOADS,
     "encoding", rows=3, sql=((NAMES_SQL, _THREE_NAMES),))
case("utf16be_bom", "orders", text_file("utf16be.csv", "\ufeff" + _NAMED_CRLF, "utf-16-be"),
     LOADS, "encoding", rows=3, sql=((NAMES_SQL, _THREE_NAMES),))
case("utf16le_no_bom", "orders",
     text_file("utf16le.csv", table_text(["order_id", "customer_id", "order_date", "amount"],
                                         order_rows(3)), "utf-16-le"),
     LOADS, "encoding", rows=3)


def _mixed(bom: bool) -> bytes:
    head = table_text([*ORDER_HEADER, "姓名"], [r + [n] for r, n in
                                                zip(order_rows(2), NAMES[:2], strict=True)])
    tail = table_text([*ORDER_HEADER, "姓名"], [r + [n] for r, n in
                                                zip(order_rows(2, start=3), NAMES[2:4],
                                                    strict=True)])
    tail = tail.split("\n", 1)[1]
    return (b"\xef\xbb\xbf" if bom else b"") + head.encode("utf-8") + tail.encode("gbk")


_FOUR_NAMES = [(n,) for n in NAMES[:4]]
case("mixed_utf8_then_gbk", "orders", bytes_file("mixed.csv", lambda: _mixed(False)), LOADS,
     "encoding", rows=4, output="mixed encodings", sql=((NAMES_SQL, _FOUR_NAMES),))
case("mixed_utf8_bom_then_gbk", "orders", bytes_file("mixed_bom.csv", lambda: _mixed(True)),
     LOADS, "encoding", rows=4, output="mixed encodings", sql=((NAMES_SQL, _FOUR_NAMES),))


def _invalid_bytes() -> bytes:
    rows = [r + [n] for r, n in zip(order_rows(3), NAMES, strict=False)]
    text = table_text([*ORDER_HEADER, "姓名"], rows).encode("utf-8")
    return text.replace("李四".encode(), "李".encode() + b"\xff\xc0")


# The damaged name is kept with U+FFFD and the load says on which line; the order itself is fine.
case("invalid_byte_sequence", "orders", bytes_file("invalid.csv", _invalid_bytes), LOADS,
     "encoding", rows=3, output="U+FFFD: line 3",
     sql=(("SELECT count(*) FROM orders", [(3,)]),
          ("SELECT name FROM customers WHERE customer_id = 'C002'", [("李\ufffd\ufffd",)])))

# ---------------------------------------------------------------------------------------------
# structure

_ROWS3 = order_rows(3)
case("separator_semicolon", "orders", text_file("semi.csv", table_text(ORDER_HEADER, _ROWS3,
                                                                        sep=";")),
     LOADS, "structure", rows=3)
case("separator_tab_tsv", "orders", text_file("tab.tsv", table_text(ORDER_HEADER, _ROWS3,
                                                                     sep="\t")),
     LOADS, "structure", rows=3)
case("separator_pipe_txt", "orders", text_file("pipe.txt", table_text(ORDER_HEADER, _ROWS3,
                                                                       sep="|")),
     LOADS, "structure", rows=3)
_RAGGED = order_rows(6)
_RAGGED[1] = _RAGGED[1][:2]
_RAGGED[4] = _RAGGED[4][:3]
case("ragged_rows", "orders", text_file("ragged.csv", table_text(ORDER_HEADER, _RAGGED)),
     QUARANTINES, "structure", rows=6, rules=("unreadable_row",),
     sql=(("SELECT count(*) FROM orders", [(4,)]),))
# an unquoted amount with a thousands separator splits into one field too many
_WIDE = order_rows(4)
_WIDE[2][3] = "1,234.00"
case("too_many_fields", "orders", text_file("wide.csv", table_text(ORDER_HEADER, _WIDE)),
     QUARANTINES, "structure", rows=4, rules=("unreadable_row",))
_QMID = order_rows(3)
_QMID[1][0] = 'O"0002'
case("unescaped_quote_mid_field", "orders",
     text_file("quote_mid.csv", table_text(ORDER_HEADER, _QMID)), LOADS, "structure", rows=3,
     sql=(("SELECT order_id FROM orders ORDER BY _row", [("O0001",), ('O"0002',),
                                                          ("O0003",)]),))
_QOPEN = order_rows(5)
_QOPEN[1][0] = '"O0002'
# the unclosed quote must not swallow the lines after it: only its own line is rejected
case("unescaped_quote_opens_field", "orders",
     text_file("quote_open.csv", table_text(ORDER_HEADER, _QOPEN)), QUARANTINES, "structure",
     rows=5, rules=("unreadable_row",), sql=(("SELECT count(*) FROM orders", [(4,)]),))
_QLAST = order_rows(5)
_QLAST[1][3] = '"102.00'
# A quote opened in the last column and never closed: a quoted field may span lines, so the
# reader cannot tell the lines after it from a long value; they end up inside row 3's amount
# (shown in its quarantine entry). Hence a lower bound: 2 records are certain, 5 lines look
# like records.
case("quote_left_open_in_last_column", "orders",
     text_file("quote_last.csv", table_text(ORDER_HEADER, _QLAST)), QUARANTINES, "structure",
     rows=2, at_least=True, tolerant=True, rules=("unreadable_float",))
_NL = [r + [c] for r, c in zip(order_rows(3), ['"送货前\n请电话联系"', "无", '"门卫\r\n代收"'],
                               strict=True)]
case("embedded_newlines", "orders",
     text_file("newlines.csv", table_text([*ORDER_HEADER, "收货地址"], _NL)), LOADS,
     "structure", rows=3,
     sql=(("SELECT address FROM customers ORDER BY customer_id",
           [("送货前\n请电话联系",), (None,), ("门卫\r\n代收",)]),))
case("line_endings_crlf_lf_cr", "orders",
     text_file("eol.csv", ",".join(ORDER_HEADER) + "\r\n" + ",".join(order_rows(1)[0]) + "\n"
               + ",".join(order_rows(1, start=2)[0]) + "\r"
               + ",".join(order_rows(1, start=3)[0]) + "\r\n"
               + ",".join(order_rows(1, start=4)[0]) + "\n"),
     LOADS, "structure", rows=4)
case("preamble_header_in_row_3", "orders",
     text_file("preamble.csv", "销售订单导出\n导出时间：2024-02-01 10:00\n"
               + table_text(ORDER_HEADER, _ROWS3)),
     LOADS, "structure", rows=3, sql=(("SELECT min(_row), max(_row) FROM orders", [(4, 6)]),))
case("footer_total", "orders",
     text_file("footer.csv", table_text(ORDER_HEADER, order_rows(30)) + "合计,,,3465.00\n"),
     QUARANTINES, "structure", rows=31, rules=("missing_key",),
     sql=(("SELECT count(*) FROM orders", [(30,)]),))
# three orders and a total line: one row in four misses its customer, above the 5% gate
case("footer_total_small_file_hits_gate", "orders",
     text_file("footer_small.csv", table_text(ORDER_HEADER, _ROWS3) + "合计,,,306.00\n"),
     ERROR, "structure", error="max_missing_rate")
case("footer_total_small_file_tolerant", "orders",
     text_file("footer_small.csv", table_text(ORDER_HEADER, _ROWS3) + "合计,,,306.00\n"),
     QUARANTINES, "structure", rows=4, tolerant=True, rules=("missing_key",))
case("empty_file", "orders", text_file("empty.csv", ""), ERROR, "structure", error="empty")
case("header_only", "orders", text_file("header.csv", table_text(ORDER_HEADER, [])), LOADS,
     "structure", rows=0)
case("whitespace_only", "orders", text_file("blank.csv", " \n\t\n\r\n   \n"), ERROR,
     "structure", error="empty")
_LONG = [r + [a] for r, a in zip(order_rows(2), ["深圳" * 750_000, "广州"], strict=True)]
case("line_longer_than_1mb", "orders",
     text_file("long.csv", table_text([*ORDER_HEADER, "收货地址"], _LONG)), LOADS, "structure",
     rows=2, sql=(("SELECT length(address) FROM customers ORDER BY customer_id",
                   [(1_500_000,), (2,)]),))
case("one_column_customers", "customers",
     text_file("ids.csv", "客户编号\n00001\n00002\n00003\n"), LOADS, "structure", rows=3,
     sql=(("SELECT customer_id FROM customers ORDER BY 1", [("00001",), ("00002",),
                                                             ("00003",)]),))
case("binary_junk", "orders",
     bytes_file("junk.csv", lambda: random.Random(20240101).randbytes(4096)), ERROR,
     "structure", error="binary")
case("zip_renamed_csv", "orders",
     bytes_file("archive.csv", lambda: _zip({"orders.csv": table_text(
         ORDER_HEADER, _ROWS3).encode()})), ERROR, "structure", error="binary")
case("xlsx_renamed_csv", "orders",
     bytes_file("book.csv", lambda: _xlsx_bytes(lambda wb: _sheet_orders(wb.active, _ROWS3))),
     ERROR, "structure", error="binary")
case("no_newline_at_end", "orders",
     text_file("noeol.csv", table_text(ORDER_HEADER, _ROWS3, final_eol=False)), LOADS,
     "structure", rows=3)
case("truncated_last_line", "orders",
     text_file("cut.csv", table_text(ORDER_HEADER, _ROWS3) + "O0004,C004,2024-0",
               ), QUARANTINES, "structure", rows=4, rules=("unreadable_row",))
# two exports glued together (`type a.csv b.csv > all.csv`): the second header, BOM and all,
# arrives as a data row; its "date" is unreadable, so it is quarantined with its line number
_GLUED = ("\ufeff" + table_text(ORDER_HEADER, order_rows(20))
          + "\ufeff" + table_text(ORDER_HEADER, order_rows(20, start=21)))
case("concatenated_exports_repeat_header", "orders", text_file("glued.csv", _GLUED),
     QUARANTINES, "structure", rows=41, rules=("unreadable_date",),
     sql=(("SELECT count(*) FROM orders", [(40,)]),))
case("html_table_saved_as_xls", "orders",
     text_file("export.xls", "<html><body><table><tr><td>订单号</td><td>客户编号</td></tr>"
               "<tr><td>O1</td><td>C1</td></tr></table></body></html>"),
     ERROR, "excel", error="export.xls")
# a NUL byte in a text export (padding from a database dump): near the top, and after 8 KB
_NUL_TOP = [r + [n] for r, n in zip(order_rows(3), ["张三", "李\x00四", "王五"], strict=True)]
case("nul_byte_near_top", "orders",
     text_file("nul_top.csv", table_text([*ORDER_HEADER, "姓名"], _NUL_TOP)), LOADS,
     "structure", rows=3, sql=(("SELECT count(*) FROM orders", [(3,)]),))
_NUL_LATE = [r + [n] for r, n in zip(order_rows(400), NAMES * 50, strict=True)]
_NUL_LATE[300][4] = "李\x00四"
case("nul_byte_after_8kb", "orders",
     text_file("nul_late.csv", table_text([*ORDER_HEADER, "姓名"], _NUL_LATE)), LOADS,
     "structure", rows=400, sql=(("SELECT count(*) FROM orders", [(400,)]),))

# ---------------------------------------------------------------------------------------------
# headers

case("chinese_customer_headers", "customers",
     text_file("members.csv", table_text(
         ["会员号", "姓名", "性别", "手机号码", "省份", "城市", "注册日期"],
         [["M001", "张三", "男", "13812345678", "广东", "深圳", "2023-05-01"],
          ["M002", "李四", "女", "13912345678", "浙江省", "杭州市", "2023-06-01"]])),
     LOADS, "headers", rows=2,
     sql=(("SELECT gender, region FROM customers ORDER BY customer_id",
           [("M", "广东省-深圳市"), ("F", "浙江省-杭州市")]),))
# two columns named 金额 (goods value and amount paid): which one is the amount is the
# analyst's call, so the load stops and says how to choose
case("duplicated_amount_header", "orders",
     text_file("dup.csv", table_text([*ORDER_HEADER[:3], "金额", "金额"],
                                     [r[:3] + ["120.00", r[3]] for r in _ROWS3])),
     ERROR, "headers", error="金额")
case("phone_synonyms", "customers",
     text_file("phones.csv", table_text(
         ["客户编号", "手机", "电话", "mobile"],
         [["C001", "13812345678", "0755-12345678", "13912345678"],
          ["C002", "13712345678", "", ""]])),
     LOADS, "headers", rows=2, output="ignored",
     sql=(("SELECT phone FROM customers ORDER BY customer_id",
           [("13812345678",), ("13712345678",)]),))
case("headers_differing_only_in_case", "customers",
     text_file("case.csv", table_text(["客户编号", "Name", "name", "CITY", "city"], [
         ["C001", "张三", "张三丰", "深圳", "广州"], ["C002", "李四", "", "杭州", ""]])),
     LOADS, "headers", rows=2, output="used 'Name', ignored 'name_2'",
     sql=(("SELECT name, city FROM customers ORDER BY customer_id",
           [("张三", "深圳市"), ("李四", "杭州市")]),))
case("fullwidth_spaces_in_headers", "orders",
     text_file("fw.csv", table_text(["\u3000订单号\u3000", "客户\u3000编号", "下单\u3000时间",
                                     "实付金额\u3000"], _ROWS3)),
     LOADS, "headers", rows=3)
case("blank_headers", "orders",
     text_file("blank_hdr.csv", table_text(["订单号", "", *ORDER_HEADER[1:], " "],
                                            [[r[0], "x", *r[1:], ""] for r in _ROWS3])),
     LOADS, "headers", rows=3)
case("english_headers_mixed_case", "orders",
     text_file("en.csv", table_text(["Order ID", "Customer ID", "Order Date", "Amount"],
                                    _ROWS3)),
     LOADS, "headers", rows=3)
case("missing_required_column", "orders",
     text_file("no_date.csv", table_text(["订单号", "客户编号", "实付金额"],
                                         [[r[0], r[1], r[3]] for r in _ROWS3])),
     ERROR, "headers", error="order_date")
case("error_hint_keeps_its_brackets", "orders",
     text_file("no_date2.csv", table_text(["订单号", "客户编号", "实付金额"],
                                          [[r[0], r[1], r[3]] for r in _ROWS3])),
     ERROR, "headers", error='[sources.mapping] "<header>" = "order_date"')

# ---------------------------------------------------------------------------------------------
# numbers


def _amounts(values: list[str], *, sep: str = ",", extra: dict | None = None) -> str:
    header = ORDER_HEADER + list(extra or {})
    rows = [r[:3] + [v] + [col[i] for col in (extra or {}).values()]
            for i, (r, v) in enumerate(zip(order_rows(len(values)), values, strict=True))]
    return table_text(header, rows, sep=sep)


_AMOUNT_SQL = "SELECT amount FROM orders ORDER BY order_id"
case("amount_yen_thousands", "orders",
     text_file("yen.csv", _amounts(['"¥1,234.00"', '"¥1,250.50"', '"RMB 1,199"'])), LOADS,
     "numbers", rows=3, sql=((_AMOUNT_SQL, [(1234.0,), (1250.5,), (1199.0,)]),))
case("amount_fullwidth", "orders",
     text_file("fw_amount.csv", _amounts(["￥１，２３４．００", "１２００", "￥１１９９．５"])),
     LOADS, "numbers", rows=3, sql=((_AMOUNT_SQL, [(1234.0,), (1200.0,), (1199.5,)]),))
case("amount_european_decimal_comma", "orders",
     text_file("eu.csv", _amounts(["1.234,56", "1.200,00", "1199,5"], sep=";")), LOADS,
     "numbers", rows=3, sql=((_AMOUNT_SQL, [(1234.56,), (1200.0,), (1199.5,)]),))
case("amount_parentheses_negative", "orders",
     text_file("paren.csv", _amounts(["100.00", "(50.00)", "120.00"])), QUARANTINES, "numbers",
     rows=3, rules=("negative_not_refund",))
case("negative_refund_vs_not_refund", "orders",
     text_file("refunds.csv", _amounts(["100.00", "-50.00", "-50.00", "110.00"],
                                       extra={"订单状态": ["已完成", "退款", "已完成", "已完成"]})),
     QUARANTINES, "numbers", rows=4, rules=("negative_not_refund",),
     sql=(("SELECT order_id, status FROM orders WHERE amount < 0", [("O0002", "refunded")]),))
case("amount_zero", "orders", text_file("zero.csv", _amounts(["100.00", "0", "0.00"])), LOADS,
     "numbers", rows=3, rules=("zero_amount",))
case("discount_percent", "orders",
     text_file("pct.csv", _amounts(["100.00", "101.00", "102.00"],
                                   extra={"折扣": ["12%", "5.5", ""]})),
     LOADS, "numbers", rows=3, rules=("unreadable_float",))
case("amount_percent_in_key", "orders",
     text_file("pct_key.csv", _amounts(["100.00", "12%", "102.00"])), QUARANTINES, "numbers",
     rows=3, tolerant=True, rules=("unreadable_float",))

# ---------------------------------------------------------------------------------------------
# dates


def _dates(values: list[str], *, n_plain: int = 0) -> str:
    rows = order_rows(len(values) + n_plain)
    for r, v in zip(rows, values, strict=False):
        r[2] = v
    return table_text(ORDER_HEADER, rows)


_DATE_SQL = "SELECT CAST(order_date AS VARCHAR) FROM orders ORDER BY order_id"
case("excel_serial_dates", "orders",
     text_file("serial.csv", _dates(["45292", "45352.5", "45658"])), LOADS, "dates", rows=3,
     sql=((_DATE_SQL, [("2024-01-01",), ("2024-03-01",), ("2025-01-01",)]),))
case("month_13", "orders", text_file("m13.csv", _dates(["2024/01/05", "2024/13/01", "2024/2/1"])),
     QUARANTINES, "dates", rows=3, tolerant=True, rules=("unreadable_date",))
case("ambiguous_day_month", "orders",
     text_file("ambig.csv", _dates(["01/02/2024", "12/11/2024", "13/02/2024"])), LOADS, "dates",
     rows=3,
     # month first by default ([ingest] day_first); 13/02 can only be day first
     sql=((_DATE_SQL, [("2024-01-02",), ("2024-12-11",), ("2024-02-13",)]),))
case("chinese_dates", "orders",
     text_file("cn_date.csv", _dates(["2024年1月5日", "2024年12月31日", "2024年3月5日 10:30"])),
     LOADS, "dates", rows=3,
     sql=((_DATE_SQL, [("2024-01-05",), ("2024-12-31",), ("2024-03-05",)]),))
case("future_date_2099", "orders",
     text_file("future.csv", _dates(["2099-01-01"], n_plain=29)), QUARANTINES, "dates", rows=30,
     rules=("future_date",))
case("pre_1900_date", "orders",
     text_file("old.csv", _dates(["1850-06-01"], n_plain=29)), QUARANTINES, "dates", rows=30,
     rules=("implausible_date",))
case("iso_with_time_zone", "orders",
     text_file("tz.csv", _dates(["2024-03-05T10:00:00+08:00", "2024-03-06T23:30:00+08:00",
                                 "2024-03-07T01:00:00Z"])),
     LOADS, "dates", rows=3,
     # the date as written (local wall time); converting to UTC would give the same days
     sql=((_DATE_SQL, [("2024-03-05",), ("2024-03-06",), ("2024-03-07",)]),))
case("mixed_date_forms", "orders",
     text_file("forms.csv", _dates(["2024/3/5", "20240306", "2024.3.7", "2024-03-08 10:00:00"])),
     LOADS, "dates", rows=4,
     sql=((_DATE_SQL, [("2024-03-05",), ("2024-03-06",), ("2024-03-07",), ("2024-03-08",)]),))

# ---------------------------------------------------------------------------------------------
# Excel


def _long_ids(wb) -> None:
    ws = wb.active
    ws.append(["客户编号", "姓名", "身份证号"])

    def excel(n: int) -> float:  # Excel keeps 15 significant digits of a number
        return float(f"{n:.15g}")

    ws.append([excel(123456789012345678), "张三", excel(110105194912310021)])
    ws.append([excel(123456789012345679), "李四", excel(440305199001011234)])
    ws.append(["00003", "王五", valid_id("44030519900101123")])


# both rounded customer ids become the same number: the reader notes the rounding, and the
# ID numbers fail the check digit (flagged, kept)
case("xlsx_ids_rounded_to_15_digits", "customers", xlsx_file("long_ids.xlsx", _long_ids),
     LOADS, "excel", rows=3, rules=("invalid_id_number",), output="15 significant digits",
     sql=(("SELECT customer_id FROM customers ORDER BY 1",
           [("00003",), ("123456789012346000",)]),))


def _lost_zeros(wb) -> None:
    _sheet_orders(wb.active, [[1, 1, dt.datetime(2024, 1, 2), 101.0],
                              [2, 12, dt.datetime(2024, 1, 3), 102.5]])


case("xlsx_lost_leading_zeros", "orders", xlsx_file("zeros.xlsx", _lost_zeros), LOADS, "excel",
     rows=2, sql=(("SELECT customer_id, order_id, CAST(order_date AS VARCHAR) FROM orders "
                   "ORDER BY 2", [("1", "1", "2024-01-02"), ("12", "2", "2024-01-03")]),))


def _na(wb) -> None:
    ws = wb.active
    ws.append([*ORDER_HEADER, "城市"])
    for i, r in enumerate(order_rows(25)):
        ws.append([r[0], r[1], r[2], float(r[3]), "深圳"])
        if i == 3:
            ws.cell(row=ws.max_row, column=4).value = "#N/A"
        if i == 7:
            ws.cell(row=ws.max_row, column=5).value = "#N/A"


case("xlsx_na_errors", "orders", xlsx_file("na.xlsx", _na), QUARANTINES, "excel", rows=25,
     rules=("missing_key",), sql=(("SELECT count(*) FROM orders", [(24,)]),))


def _formula(wb) -> None:
    ws = wb.active
    ws.append(CUSTOMER_HEADER)
    ws.append(["C001", "x", "13812345678", "深圳"])
    ws["B2"].value = '=HYPERLINK("http://evil.example","点我")'
    ws["B2"].data_type = "s"  # the text of a formula, stored as text
    ws.append(["C002", "=1+1", "13912345678", "广州"])  # a real formula without cached value
    ws.append(["C003", "王五", "13712345678", "杭州"])


case("xlsx_formula_payload", "customers", xlsx_file("formula.xlsx", _formula), LOADS, "excel",
     rows=3, sql=((NAMES_SQL, [('=HYPERLINK("http://evil.example","点我")',), (None,),
                               ("王五",)]),))
case("xlsx_empty_sheet", "orders", xlsx_file("empty.xlsx", lambda wb: None), ERROR, "excel",
     error="empty.xlsx")


def _cover(wb) -> None:
    cover = wb.active
    cover.title = "封面"
    cover.append(["2024年1月销售报表"])
    cover.append(["编制：数据部", None, "日期：2024-02-01"])
    data = wb.create_sheet("订单明细")
    _sheet_orders(data, [[r[0], r[1], r[2], float(r[3])] for r in _ROWS3])


# the first sheet is a cover page: the data sheet is found by its headers, and the load says so
case("xlsx_cover_sheet_first", "orders", xlsx_file("cover.xlsx", _cover), LOADS, "excel",
     rows=3, output="订单明细")


def _titled(wb) -> None:
    ws = wb.active
    ws.append(["订单明细表"])
    ws.append([])
    _sheet_orders(ws, [[r[0], r[1], dt.datetime(2024, 1, 2, 9, 30), float(r[3])]
                       for r in _ROWS3])


case("xlsx_header_in_row_3", "orders", xlsx_file("titled.xlsx", _titled), LOADS, "excel",
     rows=3, sql=(("SELECT min(_row), CAST(min(order_date) AS VARCHAR) FROM orders",
                   [(4, "2024-01-02")]),))


def _xls(folder: Path) -> Path:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("订单")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for c, v in enumerate([*ORDER_HEADER, "姓名"]):
        ws.write(0, c, v)
    for i, r in enumerate(_ROWS3, start=1):
        ws.write(i, 0, r[0])
        ws.write(i, 1, r[1])
        ws.write(i, 2, dt.datetime(2024, 1, i + 1), date_style)
        ws.write(i, 3, float(r[3]))
        ws.write(i, 4, NAMES[i - 1])
    path = folder / "orders.xls"
    wb.save(str(path))
    return path


case("xls_via_xlwt", "orders", _xls, LOADS, "excel", rows=3,
     sql=((_DATE_SQL, [("2024-01-02",), ("2024-01-03",), ("2024-01-04",)]),
          (NAMES_SQL, _THREE_NAMES)))
case("xlsx_truncated", "orders",
     bytes_file("broken.xlsx", lambda: _xlsx_bytes(
         lambda wb: _sheet_orders(wb.active, _ROWS3))[:700]),
     ERROR, "excel", error="broken.xlsx")

# ---------------------------------------------------------------------------------------------
# JSON lines

_EVENTS = [{"customer_id": "C001", "ts": "2024-01-02 10:00:00", "event_type": "login"},
           {"customer_id": "C002", "ts": "2024-01-02 11:00:00", "event_type": "view"},
           {"customer_id": "C003", "ts": "2024-01-03 09:00:00", "event_type": "search"}]


def _jsonl(objs: list, *, insert: dict[int, str] | None = None) -> str:
    lines = [json.dumps(o, ensure_ascii=False) for o in objs]
    for at, text in sorted((insert or {}).items(), reverse=True):
        lines.insert(at, text)
    return "\n".join(lines) + "\n"


case("jsonl_broken_line", "events",
     text_file("broken.jsonl", _jsonl(_EVENTS, insert={2: '{"customer_id": "C009", "ts": "20'}),
               prefix=b"\xef\xbb\xbf"),
     QUARANTINES, "jsonl", rows=4, rules=("unreadable_row",))
case("jsonl_array_instead_of_object", "events",
     text_file("arrays.jsonl", _jsonl(_EVENTS, insert={1: '["C004", "2024-01-04", "login"]'})),
     QUARANTINES, "jsonl", rows=4, rules=("unreadable_row",))
case("json_array_file_with_non_objects", "events",
     text_file("array.json", json.dumps([*_EVENTS, "C005", 42, None], ensure_ascii=False)),
     QUARANTINES, "jsonl", rows=6, rules=("unreadable_row",))
case("jsonl_nested_values", "customers",
     text_file("nested.jsonl", _jsonl([
         {"customer_id": "C001", "name": "张三", "tags": ["vip", "新客"],
          "address": {"province": "广东", "city": "深圳"}, "age": 30},
         {"customer_id": "C002", "name": "李四", "tags": [], "address": None, "age": "四十"},
     ])), LOADS, "jsonl", rows=2, rules=("unreadable_int",),
     sql=(("SELECT tags, address FROM customers ORDER BY customer_id",
           [('["vip", "新客"]', '{"province": "广东", "city": "深圳"}'), ("[]", None)]),))
case("jsonl_not_json_at_all", "events",
     text_file("notjson.jsonl", "customer_id,ts,event_type\nC001,2024-01-01,login\n"), ERROR,
     "jsonl", error="notjson.jsonl")

# ---------------------------------------------------------------------------------------------
# Parquet


def _odd_parquet():
    import pyarrow as pa

    return pa.table({
        "order_id": pa.array([1, 2, 3], pa.int64()),
        "customer_id": pa.array([7, 8, None], pa.int32()),
        "order_date": pa.array([dt.date(2024, 1, 2), dt.date(2024, 1, 3), dt.date(2024, 1, 4)],
                               pa.date32()),
        "amount": pa.array(["101.50", "102.00", "103.25"]).cast(pa.decimal128(12, 2)),
        "paid_date": pa.array([dt.datetime(2024, 1, 2, 10), None, dt.datetime(2024, 1, 4, 8)],
                              pa.timestamp("ms", tz="Asia/Shanghai")),
        "channel": pa.array(["online", "offline", "online"]).dictionary_encode(),
        "tags": pa.array([["a", "b"], [], None], pa.list_(pa.string())),
        "extra": pa.array([{"k": 1}, {"k": 2}, None], pa.struct([("k", pa.int64())])),
        "flag": pa.array([True, False, None]),
        "blob": pa.array([b"\x00\x01", b"", None], pa.binary()),
    })


# customer_id is NULL in one of three rows: tolerant, to see the row-level quarantine
case("parquet_odd_types", "orders", parquet_file("odd.parquet", _odd_parquet), QUARANTINES,
     "parquet", rows=3, tolerant=True, rules=("missing_key",),
     sql=(("SELECT order_id, customer_id, amount, CAST(order_date AS VARCHAR), channel "
           "FROM orders ORDER BY 1",
           [("1", "7", 101.5, "2024-01-02", "online"),
            ("2", "8", 102.0, "2024-01-03", "offline")]),))
case("parquet_truncated", "orders",
     bytes_file("cut.parquet", lambda: _parquet_bytes()[:-40]), ERROR, "parquet",
     error="cut.parquet")


def _parquet_bytes() -> bytes:
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(_odd_parquet(), buf)
    return buf.getvalue()


def _damaged_parquet() -> bytes:
    """A valid footer over a data page of noise: only reading the rows finds the damage."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({"customer_id": [f"C{i:05d}" for i in range(1000)]}), buf,
                   compression="snappy")
    data = bytearray(buf.getvalue())
    data[100:2000] = b"\xab" * 1900
    return bytes(data)


case("parquet_damaged_data_page", "customers", bytes_file("damaged.parquet", _damaged_parquet),
     ERROR, "parquet", error="damaged.parquet")


# ---------------------------------------------------------------------------------------------
# IDs and phones

case("phone_formats", "customers",
     text_file("phones.csv", table_text(CUSTOMER_HEADER, [
         ["C001", "张三", "138 1234 5678", "深圳"],
         ["C002", "李四", "+86-139-1234-5678", "深圳"],
         ["C003", "王五", "0086 13712345678", "深圳"],
         ["C004", "赵六", "１３６１２３４５６７８", "深圳"],
         ["C005", "钱七", "0755-12345678", "深圳"],
         ["C006", "孙八", "(010)8888-6666", "北京"],
         ["C007", "周九", "无", "深圳"],
         ["C008", "吴十", "abc", "深圳"],
     ])), LOADS, "ids", rows=8, rules=("unreadable_phone",),
     sql=(("SELECT phone FROM customers ORDER BY customer_id",
           [("13812345678",), ("13912345678",), ("13712345678",), ("13612345678",),
            ("075512345678",), ("01088886666",), (None,), (None,)]),))
_X_ID = next(valid_id(f"1101051949123100{i}") for i in range(10)
             if id_check(f"1101051949123100{i}") == "X")
_GOOD_ID = valid_id("44030519900101123")
_OTHER_ID = valid_id("11010119800101001")
_BAD_ID = _GOOD_ID[:-1] + ("0" if _GOOD_ID[-1] != "0" else "1")
case("id_numbers", "customers",
     text_file("ids.csv", table_text(["客户编号", "姓名", "身份证号"], [
         ["C001", "张三", _X_ID.lower()],
         ["C002", "李四", "440305900101123"],
         ["C003", "王五", _BAD_ID],
         ["C004", "赵六", " " + _OTHER_ID + " "],
     ])), LOADS, "ids", rows=4, rules=("invalid_id_number",),
     sql=(("SELECT id_number FROM customers ORDER BY customer_id",
           [(_X_ID,), (_GOOD_ID,), (_BAD_ID,), (_OTHER_ID,)]),))
case("duplicate_customer_ids", "customers",
     text_file("dupcust.csv", table_text(CUSTOMER_HEADER, [
         ["C001", "张三", "13812345678", "深圳"],
         ["C002", "李四", "13912345678", "广州"],
         ["C001", "张三", "13812345678", "上海"],
     ])), LOADS, "ids", rows=3,
     sql=(("SELECT customer_id, city FROM customers ORDER BY 1",
           [("C001", "上海市"), ("C002", "广州市")]),))
case("same_person_two_ids", "customers",
     text_file("sameperson.csv", table_text(CUSTOMER_HEADER, [
         ["C001", "张三", "138 1234 5678", "深圳"],
         ["C002", "张三", "+86 13812345678", "深圳"],
         ["C003", "李四", "13912345678", "广州"],
     ])), LOADS, "ids", rows=3, rules=("identity_merge",),
     sql=(("SELECT count(*) FROM customers", [(2,)]),))

# ---------------------------------------------------------------------------------------------
# semantics

_DUP = order_rows(4)
case("duplicate_order_lines", "orders",
     text_file("dup_lines.csv", table_text(ORDER_HEADER, [*_DUP, _DUP[1], _DUP[1]])),
     QUARANTINES, "semantics", rows=6, rules=("duplicate_order",),
     sql=(("SELECT count(*) FROM orders", [(4,)]),))
_CONFLICT = order_rows(4)
case("same_order_id_different_content", "orders",
     text_file("conflict.csv", table_text(ORDER_HEADER, [
         *_CONFLICT, [_CONFLICT[0][0], _CONFLICT[0][1], _CONFLICT[0][2], "999.00"]])),
     QUARANTINES, "semantics", rows=5, rules=("order_id_conflict",))
case("orders_of_unknown_customers", "orders",
     text_file("unknown.csv", table_text(ORDER_HEADER, order_rows(5))), LOADS, "semantics",
     rows=5, sql=(("SELECT count(*) FROM customers", [(5,)]),))
case("refund_without_original_order", "orders",
     text_file("refund_only.csv", _amounts(["100.00", "-88.00", "120.00"],
                                           extra={"状态": ["已完成", "已退款", "已完成"]})),
     LOADS, "semantics", rows=3,
     sql=(("SELECT status FROM orders WHERE amount < 0", [("refunded",)]),))
_NULLS = [r + [c, p if p else f"1381234{i:04d}"]
          for i, (r, c, p) in enumerate(zip(order_rows(30), ["N/A", "-", "无", "NULL"] * 8,
                                            ["NULL", "", "N/A", "--"] * 8, strict=False))]
_NULLS[5][3] = "N/A"
case("null_tokens", "orders",
     text_file("nulls.csv", table_text([*ORDER_HEADER, "城市", "手机号"], _NULLS)), QUARANTINES,
     "semantics", rows=30, rules=("missing_key",),
     sql=(("SELECT count(city), count(phone) FROM customers", [(0, 8)]),))
case("test_accounts", "orders",
     text_file("tests.csv", table_text([*ORDER_HEADER, "姓名"], [
         r + [n] for r, n in zip(order_rows(4), ["张三", "测试账号", "Test User", "李四"],
                                 strict=True)])),
     QUARANTINES, "semantics", rows=4, rules=("test_account",),
     sql=(("SELECT customer_id FROM orders ORDER BY 1", [("C001",), ("C004",)]),))
case("formula_payload_in_csv_name", "customers",
     text_file("formula.csv", table_text(CUSTOMER_HEADER, [
         ["C001", '"=HYPERLINK(""http://evil.example"",""点我"")"', "13812345678", "深圳"],
         ["C002", "@SUM(A1)", "13912345678", "深圳"],
     ])), LOADS, "semantics", rows=2,
     sql=((NAMES_SQL, [('=HYPERLINK("http://evil.example","点我")',), ("@SUM(A1)",)]),))
_GATE = order_rows(3)
_GATE[1][1] = ""
case("missing_keys_hit_completeness_gate", "orders",
     text_file("gate.csv", table_text(ORDER_HEADER, _GATE)), ERROR, "semantics",
     error="customer_id")
case("missing_keys_tolerant", "orders",
     text_file("gate.csv", table_text(ORDER_HEADER, _GATE)), QUARANTINES, "semantics", rows=3,
     tolerant=True, rules=("missing_key",))

# ---------------------------------------------------------------------------------------------
# other tables

case("events_chinese_headers", "events",
     text_file("events.csv", table_text(["客户编号", "行为时间", "行为类型", "页面"], [
         ["C001", "2024-01-02 10:00", "浏览", "首页"],
         ["C002", "2024/1/3 11:00:00", "搜索", "连衣裙"]])),
     LOADS, "other tables", rows=2)
case("interactions_unreadable_score", "interactions",
     text_file("survey.csv", table_text(["客户编号", "时间", "类型", "满意度", "内容"], [
         ["C001", "2024-01-02", "投诉", "五", "物流太慢"],
         ["C002", "2024-01-03", "回访", "4", ""]])),
     LOADS, "other tables", rows=2, rules=("unreadable_int",))
case("referrals_with_fullwidth_digits", "referrals",
     text_file("refs.csv", table_text(["推荐人", "被推荐人", "时间"], [
         ["C００１", "C002", "2024-01-02"], ["C003", "C004", "45300"]])),
     LOADS, "other tables", rows=2,
     sql=(("SELECT referrer_id, CAST(ts AS VARCHAR) FROM referrals ORDER BY 1",
           [("C001", "2024-01-02 00:00:00"), ("C003", "2024-01-09 00:00:00")]),))
case("fullwidth_letters_in_ids", "referrals",
     text_file("refs_fw.csv", table_text(["推荐人", "被推荐人", "时间"], [
         ["Ｃ００１", "ｃ００２", "2024-01-02"]])),
     LOADS, "ids", rows=1,
     sql=(("SELECT referrer_id, referred_id FROM referrals", [("C001", "c002")]),))
