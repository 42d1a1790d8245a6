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
    "basic": {"zh": "基础属性", "en": "basic attributes"},
    "transactions": {"zh": "交易数据", "en": "transactions"},
    "behaviour": {"zh": "行为数据", "en": "behaviour"},
    "value": {"zh": "价值数据", "en": "value"},
    "category": {"zh": "数据类别", "en": "category"},
    "fields": {"zh": "字段", "en": "fields"},
    "refresh": {"zh": "更新频率", "en": "refresh"},
    "rows_in": {"zh": "输入行", "en": "rows in"},
    "clean": {"zh": "清洗后", "en": "clean"},
    "merged": {"zh": "合并", "en": "merged"},
    "rule": {"zh": "规则", "en": "rule"},
    "action": {"zh": "处理", "en": "action"},
    "count": {"zh": "行数", "en": "count"},
    "example": {"zh": "示例", "en": "example"},
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
