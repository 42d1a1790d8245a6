"""What a report section is made of: headings, paragraphs, tables, charts and key figures.

Section modules build these from plain data; `custseg.reports.html` renders them and
`custseg.reports.xlsx` reuses the tables. Tables keep raw values (numbers stay numbers) and
are formatted per language only when rendered.

>>> table = Table(["segment", "customers"], [["A", 1200], ["B", 30]])
>>> table.numeric
[False, True]
>>> Section("demo", "Demo", [Text("hello"), table]).blocks[1].rows[0]
['A', 1200]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from numbers import Number


@dataclass
class Text:
    """A paragraph; ``kind`` is ``p``, ``h3`` (a sub-heading), ``note`` or ``warning``."""

    text: str
    kind: str = "p"


@dataclass
class Table:
    """Rows of raw values under ``columns``; ``caption`` is shown above it and ``digits``
    fixes the decimals of some columns (by index) when rendered."""

    columns: list[str]
    rows: list[list]
    caption: str = ""
    digits: dict[int, int] = field(default_factory=dict)

    @property
    def numeric(self) -> list[bool]:
        """Whether each column holds numbers (right-aligned when rendered)."""
        out = []
        for i in range(len(self.columns)):
            values = [r[i] for r in self.rows if r[i] is not None]
            out.append(bool(values) and all(isinstance(v, Number | date)
                                            and not isinstance(v, bool) for v in values))
        return out


@dataclass
class Chart:
    """A Plotly figure (``plotly.graph_objects.Figure``) and an optional caption below it."""

    figure: object
    caption: str = ""


@dataclass
class Figures:
    """Key figures shown as cards: ``(label, formatted value)`` pairs."""

    items: list[tuple[str, str]]


Block = Text | Table | Chart | Figures


@dataclass
class Section:
    """One part of the report: ``key`` (its anchor), a title and its blocks in order."""

    key: str
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Skipped:
    """A section whose stage did not run: shown as one line, not as an empty chart."""

    key: str
    title: str
    note: str
