"""CSV downloads of the web app, safe against spreadsheet formula injection (SPEC §10).

Text cells starting with ``= + - @``, tab or carriage return get a leading quote, as
`custseg.io.results.export_rows` does for files; numbers stay numbers.

>>> escape_cell("=HYPERLINK(1)"), escape_cell(-50.0), escape_cell("-50")
("'=HYPERLINK(1)", -50.0, "'-50")
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from fastapi.responses import Response

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value):
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


def csv_response(rows: Iterable[dict], columns: list[str], filename: str) -> Response:
    """A UTF-8 (with BOM, so Excel reads Chinese) CSV attachment of ``rows``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([escape_cell(row.get(c)) for c in columns])
    return Response("\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})
