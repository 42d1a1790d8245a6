"""One message catalog for labels in Chinese and English; the language is a setting."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "table": {"zh": "表", "en": "table"},
    "rows": {"zh": "行数", "en": "rows"},
    "customers": {"zh": "客户", "en": "customers"},
    "orders": {"zh": "订单", "en": "orders"},
    "order_items": {"zh": "订单明细", "en": "order items"},
    "events": {"zh": "行为事件", "en": "events"},
    "interactions": {"zh": "互动记录", "en": "interactions"},
    "referrals": {"zh": "推荐关系", "en": "referrals"},
    "date_range": {"zh": "订单日期范围", "en": "order dates"},
    "quarantined": {"zh": "隔离行数", "en": "quarantined rows"},
    "database": {"zh": "数据库", "en": "database"},
    "summary_title": {"zh": "数据概览", "en": "Data summary"},
    "loads_title": {"zh": "加载记录", "en": "Loads"},
    "source": {"zh": "来源", "en": "source"},
    "loaded": {"zh": "已加载", "en": "loaded"},
    "duplicate": {"zh": "已存在", "en": "already present"},
    "rejected": {"zh": "拒绝", "en": "rejected"},
    "status": {"zh": "状态", "en": "status"},
    "segments_title": {"zh": "客户细分结果表", "en": "Segment result table"},
    "as_of": {"zh": "基准日", "en": "as of"},
    "run": {"zh": "运行编号", "en": "run"},
    "exported": {"zh": "已导出", "en": "exported"},
}


def t(key: str, lang: str = "zh") -> str:
    """The label for ``key`` in ``lang``; unknown keys fall back to the key itself.

    >>> t("customers", "en"), t("customers", "zh")
    ('customers', '客户')
    """
    return MESSAGES.get(key, {}).get(lang, key)
