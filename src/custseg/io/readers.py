"""Read one source into a staging table of text columns, with its row numbers and rejects.

Every reader produces the same thing: a DuckDB table ``name`` whose columns are the source's
headers (made unique and non-blank) as VARCHAR plus ``_row``, the row number a spreadsheet would
show (the header is row 1 when it is the first line), and a list of `Reject` for rows that could
not be split into the header's columns. Typing happens later, in the engine, so a bad value
never stops a load.

CSV goes through DuckDB's parser when that is provably exact (no rejects, every physical line
accounted for) and otherwise through Python's csv module, which is slower but reports exact
line numbers for ragged rows, stray quotes and embedded newlines.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import duckdb
import pyarrow as pa

from custseg import schema
from custseg.errors import InputError
from custseg.io.encoding import detect_encoding, transcode_to_utf8

DELIMITERS = [",", ";", "\t", "|"]
_BATCH = 100_000
_SNIFF_LINES = 200
_MAX_FIELD = 1 << 26
FILE_KINDS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".dat": "csv",
    ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls",
    ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
}

csv.field_size_limit(_MAX_FIELD)


@dataclass
class Reject:
    """A source row that could not be read into columns."""

    row: int
    reason: str
    raw: str
    column: str | None = None


@dataclass
class ReadResult:
    """Headers as found, rows read into the staging table, rejects and how the file was read."""

    headers: list[str]
    rows: int
    rejects: list[Reject] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None
    notes: list[str] = field(default_factory=list)


def unique_headers(headers: Iterable[object]) -> list[str]:
    """Make headers usable as column names: blanks become ``column_N``, repeats get ``_2``.

    >>> unique_headers(["金额", " ", "金额", None])
    ['金额', 'column_2', '金额_2', 'column_4']
    """
    out: list[str] = []
    seen: Counter[str] = Counter()
    for i, h in enumerate(headers, start=1):
        name = str(h).replace("\u3000", " ").strip() if h is not None else ""
        name = name or f"column_{i}"
        seen[name] += 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out


def _detect_layout(lines: list[str], delimiter: str | None) -> tuple[str, int]:
    """Choose the delimiter and the header line (0-based) from the first lines of a file.

    A line with known header names wins; otherwise the delimiter is the candidate whose
    field count is most often the same across lines;
    the header is the first line with that count, so preamble lines above it are skipped.
    """
    known = _dictionary_header(lines, delimiter)
    if known is not None:
        return known
    best = None
    for cand in ([delimiter] if delimiter else DELIMITERS):
        counts = [len(r) for r in csv.reader(lines, delimiter=cand) if any(c.strip() for c in r)]
        if not counts:
            continue
        width, freq = Counter(counts).most_common(1)[0]
        score = (width > 1, freq, width)
        if best is None or score > best[0]:
            best = (score, cand, width)
    if best is None:
        return delimiter or ",", 0
    _, cand, width = best
    for i, row in enumerate(csv.reader(lines, delimiter=cand)):
        if len(row) == width and any(c.strip() for c in row):
            return cand, i
    return cand, 0


def _dictionary_header(lines: list[str], delimiter: str | None) -> tuple[str, int] | None:
    """The first line (and its delimiter) where at least two fields are known header names."""
    for i, line in enumerate(lines[:50]):
        for cand in ([delimiter] if delimiter else DELIMITERS):
            fields = next(csv.reader([line], delimiter=cand), [])
            hits = sum(schema.normalize_header(f) in schema.HEADER_DICTIONARY for f in fields)
            if hits >= 2:
                return cand, i
    return None


def _count_lines(path: Path) -> int:
    n, last = 0, b"\n"
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 24):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (last != b"\n")


def _arrow_batch(columns: list[str], rows: list[list[str | None]], numbers: list[int]) -> pa.Table:
    data = {c: pa.array([r[i] for r in rows], pa.string()) for i, c in enumerate(columns)}
    data["_row"] = pa.array(numbers, pa.int64())
    return pa.table(data)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _create(con: duckdb.DuckDBPyConnection, name: str, columns: list[str]) -> None:
    cols = ", ".join(f"{_ident(c)} VARCHAR" for c in columns)
    con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" ({cols}, _row BIGINT)')


def _append(con: duckdb.DuckDBPyConnection, name: str, batch: pa.Table) -> None:
    con.register("_batch", batch)
    con.execute(f'INSERT INTO "{name}" SELECT * FROM _batch')
    con.unregister("_batch")


def _stage_rows(con, name: str, columns: list[str], rows: Iterator[tuple[int, list]]) -> int:
    """Insert (row number, values) pairs in batches; values are converted to text."""
    _create(con, name, columns)
    buf, nums, total = [], [], 0
    for number, values in rows:
        buf.append([_text(v) for v in values])
        nums.append(number)
        if len(buf) >= _BATCH:
            _append(con, name, _arrow_batch(columns, buf, nums))
            total += len(buf)
            buf, nums = [], []
    if buf:
        _append(con, name, _arrow_batch(columns, buf, nums))
        total += len(buf)
    return total


def _text(value: object) -> str | None:
    """Cell value as text: dates in ISO form, integral floats without '.0'."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time(0) else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def read_csv(con, path: Path, name: str, *, encoding: str = "auto", delimiter: str = "auto",
             header_row: int | None = None) -> ReadResult:
    """Stage a delimited text file; see the module docstring for how it is parsed."""
    enc = detect_encoding(path) if encoding == "auto" else encoding
    with tempfile.TemporaryDirectory(prefix="custseg-") as tmp:
        text_path = path
        notes: list[str] = []
        if enc not in ("utf-8", "utf-8-sig", "ascii"):
            text_path = Path(tmp) / "utf8.csv"
            report = transcode_to_utf8(path, text_path, enc)
            if report.fallback_lines:
                notes.append(f"{len(report.fallback_lines)} lines decoded with another encoding")
            rejects = [Reject(n, "bytes not decodable; kept with U+FFFD", "")
                       for n in report.replaced_lines]
        else:
            rejects = []
        with open(text_path, encoding="utf-8-sig", errors="replace", newline="") as fh:
            sample = [ln for _, ln in zip(range(_SNIFF_LINES), fh, strict=False)]
        if not any(ln.strip() for ln in sample):
            raise InputError("the file is empty", path=str(path))
        delim, header_idx = _detect_layout(sample, None if delimiter == "auto" else delimiter)
        if header_row is not None:
            header_idx = header_row - 1
        header = next(csv.reader([sample[header_idx]], delimiter=delim))
        columns = unique_headers(header)
        result = _read_csv_duckdb(con, text_path, name, columns, delim, header_idx)
        if result is None:
            result = _read_csv_python(con, text_path, name, columns, delim, header_idx)
        result.headers, result.encoding, result.delimiter = columns, enc, delim
        result.header_row = header_idx + 1
        result.rejects = rejects + result.rejects
        result.notes = notes + result.notes
        if header_idx:
            result.notes.append(f"skipped {header_idx} line(s) above the header")
        return result


def _read_csv_duckdb(con, path: Path, name: str, columns: list[str], delim: str,
                     header_idx: int) -> ReadResult | None:
    """DuckDB's parallel reader; returns None when its answer might not be exact."""
    cols = "{" + ", ".join(f"'{c.replace(chr(39), chr(39) * 2)}': 'VARCHAR'" for c in columns) + "}"
    esc_path = str(path).replace("'", "''")
    esc_delim = delim.replace("'", "''")
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE \"{name}_csv\" AS SELECT * FROM read_csv("
            f"'{esc_path}', columns={cols}, delim='{esc_delim}', quote='\"', "
            f"escape='\"', header=true, skip={header_idx}, auto_detect=false, strict_mode=true, "
            f"null_padding=false, max_line_size=67108864)"
        )
    except duckdb.Error:
        return None
    rows = con.execute(f'SELECT count(*) FROM "{name}_csv"').fetchone()[0]
    if header_idx + 1 + rows != _count_lines(path):
        con.execute(f'DROP TABLE "{name}_csv"')
        return None
    # rowid follows insertion order, which follows file order
    con.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS SELECT *, '
                f'CAST(rowid + {header_idx + 2} AS BIGINT) AS _row FROM "{name}_csv"')
    return ReadResult(columns, rows)


def _read_csv_python(con, path: Path, name: str, columns: list[str], delim: str,
                     header_idx: int) -> ReadResult:
    rejects: list[Reject] = []
    width = len(columns)

    def rows() -> Iterator[tuple[int, list]]:
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
            for _ in range(header_idx + 1):
                fh.readline()
            reader = csv.reader(fh, delimiter=delim)
            start = header_idx + 2
            while True:
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    rejects.append(Reject(start, f"unreadable row: {exc}", ""))
                    start = header_idx + 2 + reader.line_num
                    continue
                line, start = start, header_idx + 2 + reader.line_num
                if not any(v.strip() for v in values):
                    continue
                if len(values) != width:
                    raw = delim.join(values)
                    rejects.append(Reject(
                        line, f"{len(values)} fields where the header has {width}", raw[:2000]))
                    continue
                yield line, values

    total = _stage_rows(con, name, columns, rows())
    return ReadResult(columns, total, rejects)


def _header_rows(rows: list[list[object]]) -> int:
    """Index of the header among the first rows of a sheet (the first full-width row)."""
    widths = [sum(v is not None and str(v).strip() != "" for v in r) for r in rows]
    if not widths:
        return 0
    width = max(widths)
    return next(i for i, w in enumerate(widths) if w == width)


def _read_sheet_rows(name: str, rows: Iterator[list], con, path: Path,
                     header_row: int | None) -> ReadResult:
    head = [r for _, r in zip(range(50), rows, strict=False)]
    if not head:
        raise InputError("the sheet is empty", path=str(path))
    idx = header_row - 1 if header_row else _header_rows(head)
    columns = unique_headers(head[idx])
    width = len(columns)

    def numbered() -> Iterator[tuple[int, list]]:
        for i, r in enumerate(_chain(head[idx + 1:], rows), start=idx + 2):
            if any(v is not None and str(v).strip() != "" for v in r):
                yield i, (list(r) + [None] * width)[:width]

    total = _stage_rows(con, name, columns, numbered())
    return ReadResult(columns, total, header_row=idx + 1)


def _chain(first: list, rest: Iterator) -> Iterator:
    yield from first
    yield from rest


def read_excel(con, path: Path, name: str, *, sheet: str | None = None,
               header_row: int | None = None) -> ReadResult:
    """Stage one sheet of an .xlsx/.xlsm (openpyxl) or .xls (xlrd) workbook; cells become text."""
    if path.suffix.lower() == ".xls":
        import xlrd

        try:
            book = xlrd.open_workbook(str(path), on_demand=True)
        except xlrd.XLRDError as exc:
            raise InputError(f"not a readable .xls workbook: {exc}", path=str(path)) from None
        ws = book.sheet_by_name(sheet) if sheet else book.sheet_by_index(0)

        def xls_rows() -> Iterator[list]:
            for r in range(ws.nrows):
                out = []
                for cell in ws.row(r):
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        out.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
                    elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                        out.append(None)
                    elif cell.ctype == xlrd.XL_CELL_ERROR:
                        out.append(xlrd.error_text_from_code.get(cell.value, "#ERROR"))
                    else:
                        out.append(cell.value)
                yield out

        return _read_sheet_rows(name, xls_rows(), con, path, header_row)
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InputError(f"not a readable Excel workbook: {exc}", path=str(path)) from None
    try:
        if sheet and sheet not in book.sheetnames:
            raise InputError(f"no sheet {sheet!r}; sheets: {', '.join(book.sheetnames)}",
                             path=str(path))
        ws = book[sheet] if sheet else book.worksheets[0]
        return _read_sheet_rows(name, (list(r) for r in ws.iter_rows(values_only=True)), con,
                                path, header_row)
    finally:
        book.close()


def read_parquet(con, path: Path, name: str) -> ReadResult:
    """Stage a Parquet file with every column cast to text."""
    esc = str(path).replace("'", "''")
    try:
        cols = [r[0] for r in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet('{esc}')").fetchall()]
    except duckdb.Error as exc:
        raise InputError(f"not a readable Parquet file: {exc}", path=str(path)) from None
    columns = unique_headers(cols)
    select = ", ".join(f"CAST({_ident(c)} AS VARCHAR) AS {_ident(u)}"
                       for c, u in zip(cols, columns, strict=True))
    con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS SELECT {select}, '
                f"CAST(row_number() OVER () + 1 AS BIGINT) AS _row FROM read_parquet('{esc}')")
    rows = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
    return ReadResult(columns, rows)


def read_jsonl(con, path: Path, name: str, *, encoding: str = "auto") -> ReadResult:
    """Stage JSON lines (one object per line; a JSON array file also works) as text columns."""
    enc = detect_encoding(path) if encoding == "auto" else encoding
    with open(path, encoding=enc, errors="replace") as fh:
        text = fh.read() if path.stat().st_size < (64 << 20) else None
    rejects: list[Reject] = []
    records: list[tuple[int, dict]] = []
    if text is not None and text.lstrip().startswith("["):
        try:
            data = json.loads(text)
            records = [(i + 1, r) for i, r in enumerate(data) if isinstance(r, dict)]
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc}", path=str(path)) from None
    else:
        lines = io.StringIO(text) if text is not None else open(path, encoding=enc,
                                                                  errors="replace")
        with lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    rejects.append(Reject(number, f"invalid JSON: {exc.msg}", line[:2000]))
                    continue
                if not isinstance(obj, dict):
                    rejects.append(Reject(number, "not a JSON object", line[:2000]))
                    continue
                records.append((number, obj))
    keys: dict[str, None] = {}
    for _, r in records:
        keys.update(dict.fromkeys(r))
    if not keys:
        raise InputError("no JSON objects found", path=str(path))
    columns = unique_headers(keys)
    order = list(keys)

    def rows() -> Iterator[tuple[int, list]]:
        for number, r in records:
            yield number, [_json_text(r.get(k)) for k in order]

    total = _stage_rows(con, name, columns, rows())
    return ReadResult(columns, total, rejects, encoding=enc)


def _json_text(value: object) -> object:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value


def read_sql(con, url: str, name: str, *, query: str | None = None,
             table: str | None = None) -> ReadResult:
    """Stage the result of a query (or a whole table) from a database given by URL (SQLAlchemy)."""
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url)
    except Exception as exc:  # bad URL or missing driver
        raise InputError(f"cannot use database URL: {exc}", path=url) from None
    try:
        stmt = sa.text(query or f"SELECT * FROM {engine.dialect.identifier_preparer.quote(table)}")
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True).execute(stmt)
            columns = unique_headers(result.keys())

            def rows() -> Iterator[tuple[int, list]]:
                for i, r in enumerate(result, start=1):
                    yield i, list(r)

            total = _stage_rows(con, name, columns, rows())
    except sa.exc.SQLAlchemyError as exc:
        raise InputError(f"query failed: {exc.__class__.__name__}: {exc.orig or exc}",
                         path=url) from None
    finally:
        engine.dispose()
    return ReadResult(columns, total)


def read_source(con, path: Path, name: str, *, encoding: str = "auto", delimiter: str = "auto",
                sheet: str | None = None, header_row: int | None = None) -> ReadResult:
    """Stage any supported file by its extension (unknown extensions are read as text)."""
    if not path.exists():
        raise InputError("file not found", path=str(path))
    if path.is_dir():
        raise InputError("is a folder, not a file", path=str(path))
    if path.stat().st_size == 0:
        raise InputError("the file is empty", path=str(path))
    kind = FILE_KINDS.get(path.suffix.lower(), "csv")
    if kind == "xlsx" or kind == "xls":
        return read_excel(con, path, name, sheet=sheet, header_row=header_row)
    if kind == "parquet":
        return read_parquet(con, path, name)
    if kind == "jsonl":
        return read_jsonl(con, path, name, encoding=encoding)
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")) \
            and head[1::2].count(0) < len(head) * 0.4 and head[0::2].count(0) < len(head) * 0.4:
        raise InputError("binary content, not a text table (is it a spreadsheet or archive "
                         "with the wrong extension?)", path=str(path))
    return read_csv(con, path, name, encoding=encoding,
                    delimiter="\t" if path.suffix.lower() == ".tsv" and delimiter == "auto"
                    else delimiter, header_row=header_row)
