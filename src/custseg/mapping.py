"""Map a source's headers onto canonical columns: explicit config first, then the dictionary.

A file loaded as ``orders`` may also carry customer attributes (name, phone, city …), as most
real exports do; those columns are mapped to the ``customers`` table so one export fills both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from custseg import schema
from custseg.errors import InputError

# A header's dictionary meaning that fits another table better (类型 is a kind of interaction
# but an event_type of an event; 日期 is an order date but a timestamp of an event).
_TABLE_ALIASES = {
    "events": {"kind": "event_type", "order_date": "ts"},
    "interactions": {"event_type": "kind", "order_date": "ts"},
    "referrals": {"order_date": "ts"},
    "orders": {"ts": "order_date"},
    "order_items": {"amount": "unit_price"},
}


@dataclass
class Mapping:
    """Which source header feeds which canonical column, per table, and what was left out."""

    table: str
    columns: dict[str, str]
    customer_columns: dict[str, str] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def describe(self) -> list[tuple[str, str, str]]:
        """Rows (source header, table, column) for display."""
        rows = [(h, self.table, c) for c, h in self.columns.items()]
        rows += [(h, "customers", c) for c, h in self.customer_columns.items()]
        rows += [(h, "-", "(not used)") for h in self.unmapped]
        return rows


def _repeated(header: str, headers: list[str]) -> str:
    """The name a repeated header had before the reader made it unique (``金额_2`` → ``金额``
    when ``金额`` is also a header), so a second 金额 still claims amount; else ``""``."""
    base, sep, number = header.rpartition("_")
    if not (sep and number.isdigit()):
        return ""
    return next((h for h in headers if h.casefold() == base.casefold()), "")


def infer_mapping(headers: list[str], table: str, explicit: dict[str, str] | None = None,
                  *, source: str = "", derived: tuple[str, ...] = ()) -> Mapping:
    """Map ``headers`` for a load into ``table``.

    Raises InputError naming the file when a key column has no header, or when two headers
    claim the same key column and the config does not say which one is meant.

    >>> m = infer_mapping(["客户编号", "下单时间", "实付金额", "订单号", "手机号"], "orders")
    >>> sorted(m.columns)
    ['amount', 'customer_id', 'order_date', 'order_id']
    >>> m.customer_columns
    {'phone': '手机号'}
    """
    explicit = {schema.normalize_header(k): v for k, v in (explicit or {}).items()}
    own = set(schema.column_names(table))
    cust = set(schema.column_names("customers")) if table == "orders" else set()
    aliases = _TABLE_ALIASES.get(table, {})
    columns: dict[str, str] = {}
    customer_columns: dict[str, str] = {}
    unmapped: list[str] = []
    candidates: dict[str, list[str]] = {}
    notes: list[str] = []
    for header in headers:
        norm = schema.normalize_header(header)
        if norm in explicit:
            target = explicit[norm]
            if not target:
                unmapped.append(header)
                continue
            if target in own:
                columns[target] = header
            elif target in cust:
                customer_columns[target] = header
            else:
                raise InputError(f"the config maps header {header!r} to {target!r}, which is not "
                                 f"a column of {table}", path=source, column=header)
            continue
        target = schema.HEADER_DICTIONARY.get(norm) or schema.HEADER_DICTIONARY.get(
            schema.normalize_header(_repeated(header, headers)))
        target = aliases.get(target, target)
        if target and (target in own or target in cust):
            candidates.setdefault(target, []).append(header)
        else:
            unmapped.append(header)
    keys = set(schema.key_columns(table))
    for target, found in candidates.items():
        if target in columns or target in customer_columns:
            unmapped.extend(found)
            continue
        if len(found) > 1 and target in keys:
            repeats = [f"{h!r} is a repeated {_repeated(h, headers)!r}" for h in found
                       if _repeated(h, headers)]
            raise InputError(
                f"headers {', '.join(map(repr, found))} could all be {target}"
                + (f" ({'; '.join(repeats)})" if repeats else "") + "; say which in "
                f'custseg.toml: [sources.mapping] "{found[0]}" = "{target}"',
                path=source, column=found[0])
        if len(found) > 1:
            notes.append(f"{target}: used {found[0]!r}, ignored {', '.join(map(repr, found[1:]))}")
            unmapped.extend(found[1:])
        (columns if target in own else customer_columns)[target] = found[0]
    missing = [k for k in schema.key_columns(table) if k not in columns and k not in derived]
    if missing:
        hint = ""
        if missing == ["order_id"]:
            hint = " (use --derive-order-id to derive a stable id from customer, date and line)"
        raise InputError(
            f"no column for required {', '.join(missing)} of table {table}; headers found: "
            f"{', '.join(map(repr, headers))}; map one in custseg.toml "
            f'[sources.mapping] "<header>" = "{missing[0]}"{hint}',
            path=source, column=missing[0])
    customer_columns.pop("customer_id", None)
    return Mapping(table, columns, customer_columns, unmapped, notes)
