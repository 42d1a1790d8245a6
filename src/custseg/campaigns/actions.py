"""Action records: who got which measure, in which campaign, with what status, when.

An action file (CSV or Excel) has one row per customer and step. Headers are matched by
`HEADERS` (English or Chinese, case and blanks ignored); ``customer_id``, ``status`` and
``at`` are required, ``measure`` is required unless the row names a campaign. `validate` types
the rows in the engine and names, for a row that cannot be recorded, the first column that
fails and why; the caller quarantines those rows. Statuses are ``planned``, ``sent`` or
``done`` (`STATUSES`); ``redeemed`` and ``converted`` are optional yes/no flags used by the
diagnostics of `custseg.campaigns.evaluate`.

>>> sorted(map_headers(["客户编号", "活动编号", "状态", "执行时间", "Owner"]).items())[:3]
[('at', '执行时间'), ('campaign_id', '活动编号'), ('customer_id', '客户编号')]
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt

from custseg.cleaning.standardize import parse_id, parse_timestamp
from custseg.errors import CustsegError
from custseg.schema import normalize_header

FIELDS = ("customer_id", "campaign_id", "segment", "measure", "status", "owner", "at", "note",
          "redeemed", "converted")
REQUIRED = ("customer_id", "status", "at")
HEADERS: dict[str, tuple[str, ...]] = {
    "customer_id": ("customer_id", "customer", "客户编号", "客户id", "会员号", "会员编号", "客户"),
    "campaign_id": ("campaign_id", "campaign", "活动编号", "活动id", "活动"),
    "segment": ("segment_id", "segment", "细分编号", "客群", "细分"),
    "measure": ("measure", "action", "措施", "策略措施", "动作"),
    "status": ("status", "状态", "执行状态"),
    "owner": ("owner", "负责人", "执行人"),
    "at": ("at", "time", "date", "ts", "timestamp", "时间", "执行时间", "日期"),
    "note": ("note", "notes", "remark", "备注"),
    "redeemed": ("redeemed", "已核销", "核销", "是否核销"),
    "converted": ("converted", "已转化", "转化", "是否转化"),
}
STATUSES = ("planned", "sent", "done")
_STATUS = {
    **{s: "planned" for s in ("planned", "plan", "计划", "已计划", "待执行", "待发送")},
    **{s: "sent" for s in ("sent", "send", "delivered", "已发送", "发送", "已触达", "已送达")},
    **{s: "done" for s in ("done", "completed", "complete", "finished", "完成", "已完成",
                           "已执行", "执行完成")},
}
_FLAG = {**{s: True for s in ("1", "true", "yes", "y", "t", "是", "已核销", "已转化", "✓")},
         **{s: False for s in ("0", "false", "no", "n", "f", "否", "未核销", "未转化")}}
_LOOKUP = {normalize_header(alias): field for field, aliases in HEADERS.items()
           for alias in aliases}


def map_headers(headers: list[str], *, source: str = "the file") -> dict[str, str]:
    """Action field → header of the file; raises naming the file when a required one is
    missing or two headers claim one field."""
    found: dict[str, str] = {}
    for header in headers:
        field = _LOOKUP.get(normalize_header(header))
        if field is None:
            continue
        if field in found:
            raise CustsegError(f"{source}: columns {found[field]!r} and {header!r} both mean "
                               f"{field}; keep one")
        found[field] = header
    missing = [f for f in REQUIRED if f not in found]
    if missing:
        raise CustsegError(f"{source}: no column for {', '.join(missing)} (headers: "
                           f"{', '.join(headers)}); expected e.g. "
                           + ", ".join(HEADERS[f][0] + "/" + HEADERS[f][2] for f in missing))
    return found


def parse_action_status(value: ibis.Value) -> ibis.Value:
    """``planned`` / ``sent`` / ``done`` from English or Chinese text, else NULL."""
    return value.strip().lower().cases(*_STATUS.items(), else_=ibis.null(dt.string))


def parse_flag(value: ibis.Value) -> ibis.Value:
    """yes/no flags (1/0, true/false, 是/否 …) as booleans, else NULL."""
    return value.strip().lower().cases(*_FLAG.items(), else_=ibis.null(dt.boolean))


def _text(staged: ibis.Table, columns: dict[str, str], field: str) -> ibis.Value:
    if field not in columns:
        return ibis.null(dt.string)
    value = staged[columns[field]].cast(dt.string).strip()
    return ibis.ifelse(value == "", ibis.null(dt.string), value)


def _joined(staged: ibis.Table, columns: dict[str, str], *, campaigns: ibis.Table,
            members: ibis.Table, customers: ibis.Table, identity: ibis.Table) -> ibis.Table:
    """The raw text of each field (``_raw_<field>``) next to what it refers to: the surviving
    customer id, whether the customer is known, the campaign and the customer's arm in it."""
    raw = {f: _text(staged, columns, f) for f in FIELDS}
    rows = staged.select(_row=staged._row, **{f"_raw_{f}": raw[f] for f in FIELDS})
    ids = identity.select(_cid="customer_id", _sid="surviving_id")
    rows = rows.left_join(ids, parse_id(rows._raw_customer_id) == ids._cid)
    rows = rows.mutate(customer_id=ibis.coalesce(rows._sid, parse_id(rows._raw_customer_id)),
                       campaign_id=parse_id(rows._raw_campaign_id))
    known = customers.select(_known="customer_id").distinct()
    rows = rows.left_join(known, rows.customer_id == known._known)
    camp = campaigns.select(_camp="campaign_id", _camp_measure="measure", _segment="segment_id",
                            _camp_owner="owner")
    rows = rows.left_join(camp, rows.campaign_id == camp._camp)
    arms = members.select(_mcamp="campaign_id", _mcust="customer_id", arm="arm")
    return rows.left_join(arms, (rows.campaign_id == arms._mcamp)
                          & (rows.customer_id == arms._mcust))


def validate(staged: ibis.Table, columns: dict[str, str], *, campaigns: ibis.Table,
             members: ibis.Table, customers: ibis.Table, identity: ibis.Table,
             day_first: bool = False) -> ibis.Table:
    """Typed action rows with ``_column``/``_reason``/``_raw`` set on rows that cannot be
    recorded (NULL otherwise), and ``_flag_column``/``_flag_raw`` naming the first yes/no flag
    that could not be read (it is recorded as unknown).

    ``staged`` holds the file as text with its spreadsheet row number ``_row``; ``columns``
    comes from `map_headers`. Customer ids are mapped through the identity merge map;
    ``segment_id`` (else the file's ``segment``) and a missing ``measure`` or ``owner`` come
    from the campaign.
    """
    rows = _joined(staged, columns, campaigns=campaigns, members=members, customers=customers,
                   identity=identity)
    at = parse_timestamp(rows._raw_at, day_first=day_first)
    status = parse_action_status(rows._raw_status)
    checks = [
        (rows._raw_customer_id.isnull(), "customer_id", "no customer id"),
        (rows._known.isnull(), "customer_id", "unknown customer (not in the customers table)"),
        (status.isnull(), "status", "unknown status; use planned, sent or done "
                                    "(计划 / 已发送 / 已完成)"),
        (rows._raw_at.isnull(), "at", "no time"),
        (at.isnull(), "at", "unreadable time; use e.g. 2024-03-05 or 2024-03-05 14:30"),
        (rows.campaign_id.notnull() & rows._camp.isnull(), "campaign_id", "unknown campaign"),
        (rows._camp.notnull() & rows.arm.isnull(), "customer_id",
         "customer is not on the lists of this campaign"),
        (rows._raw_measure.isnull() & rows._camp.isnull(), "measure",
         "no measure and no campaign to take it from"),
    ]
    column = ibis.cases(*[(c, col) for c, col, _ in checks], else_=ibis.null(dt.string))
    reason = ibis.cases(*[(c, why) for c, _, why in checks], else_=ibis.null(dt.string))
    redeemed, converted = parse_flag(rows._raw_redeemed), parse_flag(rows._raw_converted)
    bad_redeemed = rows._raw_redeemed.notnull() & redeemed.isnull()
    bad_converted = rows._raw_converted.notnull() & converted.isnull()
    flag_column = ibis.cases((bad_redeemed, "redeemed"), (bad_converted, "converted"),
                             else_=ibis.null(dt.string))
    flag_raw = ibis.cases((bad_redeemed, rows._raw_redeemed),
                          (bad_converted, rows._raw_converted), else_=ibis.null(dt.string))
    return rows.select(
        "_row", "customer_id", "campaign_id",
        segment_id=ibis.coalesce(rows._segment, rows._raw_segment),
        measure=ibis.coalesce(rows._raw_measure, rows._camp_measure), status=status,
        owner=ibis.coalesce(rows._raw_owner, rows._camp_owner), at=at, note=rows._raw_note,
        redeemed=redeemed, converted=converted, arm="arm", _column=column, _reason=reason,
        _raw=ibis.cases(*[(c, rows[f"_raw_{col}"]) for c, col, _ in checks],
                        else_=ibis.null(dt.string)),
        _flag_column=flag_column, _flag_raw=flag_raw)
