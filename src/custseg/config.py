"""The one validated configuration, read from ``custseg.toml`` in a project folder.

Every surface (CLI, Python API, later the web app) builds a `Settings` and hands it to the
pipeline; nothing reads configuration from anywhere else. Unknown keys are errors, and every
problem in a file is reported at once with its location, so a typo never passes silently.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from custseg import schema
from custseg.errors import ConfigError

CONFIG_FILE = "custseg.toml"
DEFAULT_NULL_TOKENS = (
    "", "NULL", "null", "None", "N/A", "n/a", "NA", "#N/A", "-", "--", "无", "空",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class ProjectSettings(_Model):
    """Name and presentation of the project."""

    name: str = "custseg project"
    language: Literal["zh", "en"] = "zh"


class EngineSettings(_Model):
    """Where the tables live. ``database`` is relative to the project folder."""

    kind: Literal["duckdb"] = "duckdb"
    database: str = "custseg.duckdb"
    threads: int | None = Field(default=None, ge=1)
    memory_limit: str | None = None


class IngestSettings(_Model):
    """How text from sources is read before it is typed."""

    null_tokens: list[str] = Field(default_factory=lambda: list(DEFAULT_NULL_TOKENS))
    day_first: bool = False
    preview_rows: int = Field(default=20_000, ge=100)


class SourceSettings(_Model):
    """One source: a file (CSV/TSV/TXT, Excel, Parquet, JSON lines) or a SQL database URL.

    ``mapping`` maps source headers to canonical columns and overrides the built-in
    dictionary; map a header to ``""`` to ignore it.
    """

    path: str | None = None
    url: str | None = None
    query: str | None = None
    sql_table: str | None = None
    table: Literal[
        "customers", "orders", "order_items", "events", "interactions", "referrals"
    ]
    mapping: dict[str, str] = Field(default_factory=dict)
    encoding: str = "auto"
    delimiter: str = "auto"
    header_row: int | None = Field(default=None, ge=1)
    sheet: str | None = None
    derive_order_id: bool = False
    refresh: str = "monthly"

    @field_validator("mapping")
    @classmethod
    def _known_columns(cls, mapping: dict[str, str]) -> dict[str, str]:
        known = {c.name for cols in schema.TABLES.values() for c in cols}
        bad = [f"{h!r} → {c!r}" for h, c in mapping.items() if c and c not in known]
        if bad:
            raise ValueError(
                "unknown canonical column in " + ", ".join(bad)
                + f"; known columns: {', '.join(sorted(known))}"
            )
        return mapping

    def model_post_init(self, __context: object) -> None:
        if bool(self.path) == bool(self.url):
            raise ValueError("give exactly one of path (a file) or url (a database)")
        if self.url and not (self.query or self.sql_table):
            raise ValueError("a url source needs query or sql_table")


class Settings(_Model):
    """The whole configuration of a project (custseg.toml)."""

    project: ProjectSettings = Field(default_factory=ProjectSettings)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    sources: list[SourceSettings] = Field(default_factory=list)


def _location(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model class that owns the last key of ``loc``, to suggest close key names."""
    model: type[BaseModel] | None = Settings
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        model = next((a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)),
                     None)
    return model


def format_errors(error: ValidationError, source: str) -> str:
    """Turn a pydantic error into one line per problem, with a close match for typos."""
    lines = []
    for err in error.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function")))
        where = _location(loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            owner = _model_at(loc)
            hint = ""
            if owner is not None:
                close = difflib.get_close_matches(str(loc[-1]), owner.model_fields, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
            lines.append(f"{source}: unknown key {where}{hint}")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            got = err.get("input")
            shown = "" if isinstance(got, dict | list) else f" (got {got!r})"
            lines.append(f"{source}: {where}: {msg}{shown}")
    return "\n".join(lines)


def parse_settings(data: dict, *, source: str = CONFIG_FILE) -> Settings:
    """Validate a config mapping; every problem is reported in one ConfigError."""
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_errors(exc, source)) from None


def load_settings(project_dir: Path) -> Settings:
    """Read and validate ``custseg.toml`` in a project folder, checking that source files exist."""
    path = Path(project_dir) / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(
            f"{path}: no {CONFIG_FILE} here; create a project with `custseg init {project_dir}` "
            "or pass --project DIR"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    settings = parse_settings(data, source=str(path))
    missing = [
        f"{path}: sources[{i}].path: file not found: {s.path}"
        for i, s in enumerate(settings.sources)
        if s.path and not (Path(project_dir) / s.path).exists()
    ]
    if missing:
        raise ConfigError("\n".join(missing))
    return settings


STARTER_CONFIG = """\
# custseg project configuration. Every key is optional; unknown keys are errors.
# Paths are relative to this folder.

[project]
name = "{name}"
language = "{language}"        # zh | en: labels in reports, segment names, messages

[engine]
kind = "duckdb"                # the embedded customer database
database = "custseg.duckdb"    # query it with any DuckDB client: SELECT * FROM orders
# threads = 2
# memory_limit = "4GB"

[ingest]
day_first = false              # 05/03/2024 is May 3rd; true reads it as 5 March
# null_tokens = ["", "NULL", "N/A", "-", "无"]

# One [[sources]] block per file or database table. `custseg run` (and `custseg ingest`
# without files) loads them; re-loading a file that did not change adds nothing.
#
# [[sources]]
# path = "data/orders.csv"     # .csv .tsv .txt .xlsx .xls .parquet .jsonl
# table = "orders"             # customers orders order_items events interactions referrals
# encoding = "auto"            # or utf-8, gb18030, utf-16
# delimiter = "auto"           # or "," ";" "\\t" "|"
# refresh = "daily"            # how often this source is updated (data catalog)
# [sources.mapping]            # header in the file = canonical column ("" ignores it)
# "实付金额(元)" = "amount"
#
# [[sources]]
# url = "postgresql://user@localhost/shop"
# sql_table = "crm_customers"
# table = "customers"
"""
