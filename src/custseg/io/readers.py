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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa

from custseg import schema
from custseg.errors import InputError
from custseg.io.encoding import detect_encoding, transcode_to_utf8

# Staged rows and the cleaning's intermediate tables live in this schema of the project file,
# where DuckDB compresses them and writes them out as they grow; temporary tables would be
# held uncompressed (about ten times larger) in memory and its spill files.
WORK = "_work"


def ensure_work(con: duckdb.DuckDBPyConnection) -> None:
    """Create the `WORK` schema and let unqualified names find its tables (after main's)."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {WORK}")
    con.execute(f"SET search_path = 'main,{WORK}'")


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

    Column names are unique regardless of case (the engine's identifiers ignore it).

    >>> unique_headers(["金额", " ", "金额", None, "Name", "name", "金额_2"])
    ['金额', 'column_2', '金额_2', 'column_4', 'Name', 'name_2', '金额_2_2']
    """
    out: list[str] = []
    used: set[str] = set()
    for i, h in enumerate(headers, start=1):
        name = str(h).replace("\u3000", " ").replace("\x00", "").strip() if h is not None else ""
        name = name or f"column_{i}"
        candidate, n = name, 1
        while candidate.casefold() in used:
            n += 1
            candidate = f"{name}_{n}"
        used.add(candidate.casefold())
        out.append(candidate)
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
    ensure_work(con)
    cols = ", ".join(f"{_ident(c)} VARCHAR" for c in columns)
    con.execute(f'CREATE OR REPLACE TABLE {WORK}."{name}" ({cols}, _row BIGINT)')


def _append(con: duckdb.DuckDBPyConnection, name: str, batch: pa.Table) -> None:
    con.register("_batch", batch)
    con.execute(f'INSERT INTO {WORK}."{name}" SELECT * FROM _batch')
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
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        if value.is_integer() and abs(value) < 1e21:
            # a long number as Excel shows it (123456789012346000), not 1.23456789012346e+17
            return format(Decimal(repr(value)), "f")
        return repr(value)
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
                notes.append(f"mixed encodings: {len(report.fallback_lines)} line(s) are not "
                             f"{enc}; read as UTF-8 or GB18030 instead")
            if report.replaced_lines:
                # the rows are loaded (a reject would count them twice): say where they are
                notes.append(f"{len(report.replaced_lines)} line(s) had bytes no encoding could "
                             "decode, kept with U+FFFD: line "
                             + ", ".join(map(str, report.replaced_lines[:20]))
                             + (" …" if len(report.replaced_lines) > 20 else ""))
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
    ensure_work(con)
    try:
        con.execute(
            f"CREATE OR REPLACE TABLE {WORK}.\"{name}_csv\" AS SELECT * FROM read_csv("
            f"'{esc_path}', columns={cols}, delim='{esc_delim}', quote='\"', "
            f"escape='\"', header=true, skip={header_idx}, auto_detect=false, strict_mode=true, "
            f"null_padding=false, max_line_size=67108864)"
        )
    except duckdb.Error:
        return None
    rows = con.execute(f'SELECT count(*) FROM {WORK}."{name}_csv"').fetchone()[0]
    if header_idx + 1 + rows != _count_lines(path):
        con.execute(f'DROP TABLE {WORK}."{name}_csv"')
        return None
    # rowid follows insertion order, which follows file order
    con.execute(f'CREATE OR REPLACE VIEW {WORK}."{name}" AS SELECT *, '
                f'CAST(rowid + {header_idx + 2} AS BIGINT) AS _row FROM {WORK}."{name}_csv"')
    return ReadResult(columns, rows)


class _Lines:
    """Physical lines of a text file for csv.reader, with the lines of the current record
    kept and a way to read some of them again (after a stray quote joined them)."""

    def __init__(self, fh: io.TextIOBase):
        self.fh = fh
        self.again: list[str] = []
        self.record: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        text = self.again.pop() if self.again else self.fh.readline()
        if not text:
            raise StopIteration
        self.record.append(text)
        return text

    def read_again(self, lines: list[str]) -> None:
        self.again.extend(reversed(lines))


def _read_csv_python(con, path: Path, name: str, columns: list[str], delim: str,
                     header_idx: int) -> ReadResult:
    rejects: list[Reject] = []
    width = len(columns)

    def rows() -> Iterator[tuple[int, list]]:
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
            for _ in range(header_idx + 1):
                fh.readline()
            lines = _Lines(fh)
            reader = csv.reader(lines, delimiter=delim)
            number = header_idx + 2  # the line the next record starts on
            while True:
                lines.record = []
                error = None
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    values, error = [], exc
                line, number = number, number + len(lines.record)
                if error is None and not any(v.strip() for v in values):
                    continue
                if error is None and len(values) == width:
                    yield line, values
                    continue
                if len(lines.record) > 1:
                    # a quote that never closed joined the lines after it: reject its own
                    # line and read the others again, so they are not lost with it
                    rejects.append(Reject(line, "unbalanced quote: the row runs into the next "
                                                "lines", lines.record[0].rstrip("\r\n")[:2000]))
                    lines.read_again(lines.record[1:])
                    number = line + 1
                elif error is not None:
                    rejects.append(Reject(line, f"unreadable row: {error}",
                                          lines.record[0].rstrip("\r\n")[:2000]))
                else:
                    rejects.append(Reject(line, f"{len(values)} fields where the header has "
                                                f"{width}", delim.join(values)[:2000]))

    total = _stage_rows(con, name, columns, rows())
    return ReadResult(columns, total, rejects)


def _known_headers(row: list[object]) -> int:
    """How many cells of a row are header names of the dictionary."""
    return sum(v is not None and schema.normalize_header(str(v)) in schema.HEADER_DICTIONARY
               for v in row)


def _header_rows(rows: list[list[object]]) -> int:
    """Index of the header among the first rows of a sheet: the first row with two known
    header names, else the first full-width row."""
    known = next((i for i, r in enumerate(rows) if _known_headers(r) >= 2), None)
    if known is not None:
        return known
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

    rounded: Counter[str] = Counter()

    def numbered() -> Iterator[tuple[int, list]]:
        for i, r in enumerate(_chain(head[idx + 1:], rows), start=idx + 2):
            if any(v is not None and str(v).strip() != "" for v in r):
                values = (list(r) + [None] * width)[:width]
                for column, v in zip(columns, values, strict=True):
                    if isinstance(v, float) and abs(v) >= 1e15:
                        rounded[column] += 1
                yield i, values

    total = _stage_rows(con, name, columns, numbered())
    notes = [f"column {c!r}: {n:,} number(s) of 16 or more digits, which Excel stores with only "
             "15 significant digits: they were rounded before this file was saved (ids must "
             "be stored as text)" for c, n in rounded.items()]
    return ReadResult(columns, total, header_row=idx + 1, notes=notes)


def _data_sheet(sheets: list[tuple[str, Callable[[], Iterable]]]) -> tuple[int, str | None]:
    """The sheet to read when none is named: the first whose first rows hold a row of known
    header names (a cover page or notes sheet often comes first); else the first sheet."""
    for i, (title, head_rows) in enumerate(sheets):
        rows = [list(r) for _, r in zip(range(50), head_rows(), strict=False)]
        if any(_known_headers(r) >= 2 for r in rows):
            return i, (f"read sheet {title!r}; the sheet(s) before it have no table headers "
                       "(choose another with --sheet)" if i else None)
    return 0, None


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
        except Exception as exc:  # xlrd raises several kinds for a damaged file
            raise InputError(f"not a readable .xls workbook: {exc}", path=str(path)) from None
        if sheet and sheet not in book.sheet_names():
            raise InputError(f"no sheet {sheet!r}; sheets: {', '.join(book.sheet_names())}",
                             path=str(path))
        note = None
        if sheet:
            ws = book.sheet_by_name(sheet)
        else:
            sheets = [book.sheet_by_index(i) for i in range(book.nsheets)]
            chosen, note = _data_sheet([
                (s.name, lambda s=s: (s.row_values(r) for r in range(min(s.nrows, 50))))
                for s in sheets])
            ws = sheets[chosen]

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

        result = _read_sheet_rows(name, xls_rows(), con, path, header_row)
        result.notes[:0] = [note] if note else []
        return result
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InputError(f"not a readable Excel workbook: {exc}", path=str(path)) from None
    try:
        if sheet and sheet not in book.sheetnames:
            raise InputError(f"no sheet {sheet!r}; sheets: {', '.join(book.sheetnames)}",
                             path=str(path))
        note = None
        if sheet:
            ws = book[sheet]
        else:
            chosen, note = _data_sheet([
                (w.title, lambda w=w: w.iter_rows(max_row=50, values_only=True))
                for w in book.worksheets])
            ws = book.worksheets[chosen]
        result = _read_sheet_rows(name, (list(r) for r in ws.iter_rows(values_only=True)), con,
                                  path, header_row)
        result.notes[:0] = [note] if note else []
        return result
    finally:
        book.close()


def read_parquet(con, path: Path, name: str) -> ReadResult:
    """Stage a Parquet file with every column cast to text."""
    esc = str(path).replace("'", "''")
    ensure_work(con)
    try:
        cols = [r[0] for r in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet('{esc}')").fetchall()]
        columns = unique_headers(cols)
        select = ", ".join(f"CAST({_ident(c)} AS VARCHAR) AS {_ident(u)}"
                           for c, u in zip(cols, columns, strict=True))
        # a damaged data page only shows when the rows are read
        con.execute(f'CREATE OR REPLACE TABLE {WORK}."{name}" AS SELECT {select}, '
                    f"CAST(row_number() OVER () + 1 AS BIGINT) AS _row "
                    f"FROM read_parquet('{esc}')")
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"not a readable Parquet file: {first}", path=str(path)) from None
    rows = con.execute(f'SELECT count(*) FROM {WORK}."{name}"').fetchone()[0]
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
            for i, r in enumerate(data, start=1):
                if isinstance(r, dict):
                    records.append((i, r))
                else:
                    rejects.append(Reject(i, "array element is not a JSON object",
                                          json.dumps(r, ensure_ascii=False)[:2000]))
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

    from custseg.io.store import sqlalchemy_url

    try:
        engine = sa.create_engine(sqlalchemy_url(url))  # postgresql:// → psycopg 3
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


_MAGIC = {
    b"PK\x03\x04": "a zip archive or an .xlsx workbook",
    b"\xd0\xcf\x11\xe0": "an .xls workbook", b"PAR1": "a Parquet file",
    b"\x1f\x8b": "a gzip archive", b"%PDF": "a PDF document",
}
_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\x0b\x0c\x1a")


def _looks_binary(head: bytes) -> bool:
    """Binary rather than text: a known file signature, or control bytes in bytes that read
    neither as UTF-8 nor as GB18030. A stray NUL in a text export is still text."""
    if any(head.startswith(magic) for magic in _MAGIC):
        return True
    if not head or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if head[1::2].count(0) > len(head) * 0.4 or head[0::2].count(0) > len(head) * 0.4:
        return False  # UTF-16 without a byte-order mark
    controls = sum(head.count(b) for b in _CONTROL)
    if not controls:
        return False
    if controls > len(head) * 0.05:
        return True
    for enc in ("utf-8", "gb18030"):
        try:
            head[:-4].decode(enc)  # the sample may end inside a character
            return False
        except UnicodeDecodeError:
            pass
    return True


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
    if _looks_binary(head):
        kind = next((k for magic, k in _MAGIC.items() if head.startswith(magic)), None)
        raise InputError("binary content, not a text table " + (
            f"(it is {kind}: give the file its right extension)" if kind else
            "(is it a spreadsheet or archive with the wrong extension?)"), path=str(path))
    return read_csv(con, path, name, encoding=encoding,
                    delimiter="\t" if path.suffix.lower() == ".tsv" and delimiter == "auto"
                    else delimiter, header_row=header_row)
