"""The canonical tables and columns (SPEC §2) and the header dictionary that maps exports onto them.

Every later stage reads these tables by these names, and analysts query them with SQL, so the
names here are a contract. Types are logical: ``str`` columns are always text (ids keep their
leading zeros), ``date`` is a calendar date, ``timestamp`` a date with time.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

TYPES = ("str", "int", "float", "date", "timestamp", "bool")


@dataclass(frozen=True)
class Column:
    """A canonical column: name, logical type, and whether it is a key or personal data."""

    name: str
    type: str = "str"
    key: bool = False
    personal: bool = False


def _cols(spec: str) -> tuple[Column, ...]:
    """Parse ``"name:type*!"`` items (``*`` key, ``!`` personal) into columns."""
    out = []
    for item in spec.split():
        name, _, rest = item.partition(":")
        type_ = rest.rstrip("*!") or "str"
        out.append(Column(name, type_, key="*" in rest, personal="!" in rest))
    return tuple(out)


TABLES: dict[str, tuple[Column, ...]] = {
    "customers": _cols(
        "customer_id:str* name:str! gender birth_date:date age:int phone:str! email:str! "
        "id_number:str! address:str! province city industry company_size:int occupation "
        "income:float education register_date:date channel member_level tags "
        "objects_profiling:bool objects_marketing:bool"
    ),
    "orders": _cols(
        "order_id:str* customer_id:str* order_date:date* amount:float* paid_date:date "
        "cost:float profit:float status channel payment_method store discount:float quantity:int"
    ),
    "order_items": _cols(
        "order_id:str* product_id:str* category brand quantity:int unit_price:float"
    ),
    "events": _cols("customer_id:str* ts:timestamp* event_type:str* object value:float"),
    "interactions": _cols(
        "customer_id:str* ts:timestamp* kind:str* satisfaction:int nps:int text"
    ),
    "referrals": _cols("referrer_id:str* referred_id:str* ts:timestamp*"),
}

PERSONAL_FIELDS = ("name", "phone", "email", "id_number", "address")

# Columns the cleaning stage adds to what sources give (SPEC §3).
DERIVED: dict[str, tuple[Column, ...]] = {
    "customers": _cols("region"),
    "orders": _cols("source_customer_id is_outlier:bool possible_duplicate:bool"),
}


def stored_columns(table: str) -> tuple[Column, ...]:
    """Columns of a canonical table as stored: source columns, then derived ones."""
    return TABLES[table] + DERIVED.get(table, ())


def columns(table: str) -> tuple[Column, ...]:
    """Columns of a canonical table; raises KeyError for an unknown table."""
    return TABLES[table]


def key_columns(table: str) -> list[str]:
    return [c.name for c in TABLES[table] if c.key]


def column_names(table: str) -> list[str]:
    return [c.name for c in TABLES[table]]


# Header synonyms seen in real exports, English and Chinese. Headers are compared after
# `normalize_header`, so case, spaces, full-width characters and punctuation do not matter.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer_id": (
        "customer_id", "customer id", "customer", "customerid", "cust_id", "client_id",
        "member_id", "user_id", "uid", "buyer_id", "客户id", "客户编号", "客户编码", "客户号",
        "会员号", "会员id", "会员编号", "会员卡号", "用户id", "用户编号", "买家id",
    ),
    "order_id": (
        "order_id", "order id", "order_no", "order number", "orderid", "订单号", "订单编号",
        "订单id", "单号",
    ),
    "order_date": (
        "order_date", "order date", "order_time", "orderdate", "date", "purchase_date",
        "created_at", "订单日期", "下单时间", "下单日期", "订单时间", "购买日期", "交易日期",
        "交易时间", "日期",
    ),
    "amount": (
        "amount", "order_amount", "total", "total_amount", "sales", "revenue", "dollar_value",
        "payment", "paid_amount", "金额", "实付金额", "消费金额", "订单金额", "支付金额",
        "交易金额", "实收金额", "销售额",
    ),
    "paid_date": ("paid_date", "paid_at", "payment_date", "支付时间", "付款时间", "付款日期"),
    "cost": ("cost", "成本", "成本金额"),
    "profit": ("profit", "margin", "利润", "毛利"),
    "status": ("status", "order_status", "订单状态", "状态"),
    "channel": ("channel", "sales_channel", "渠道", "销售渠道", "来源渠道", "注册渠道"),
    "payment_method": ("payment_method", "pay_method", "支付方式", "付款方式"),
    "store": ("store", "shop", "门店", "店铺"),
    "discount": ("discount", "discount_amount", "优惠金额", "折扣", "优惠"),
    "quantity": ("quantity", "qty", "number_of_cds", "数量", "购买数量", "件数"),
    "name": ("name", "customer_name", "full_name", "姓名", "客户姓名", "客户名称", "会员姓名"),
    "gender": ("gender", "sex", "性别"),
    "birth_date": ("birth_date", "birthday", "date_of_birth", "dob", "出生日期", "生日"),
    "age": ("age", "年龄"),
    "phone": (
        "phone", "mobile", "telephone", "tel", "phone_number", "cellphone", "手机", "手机号",
        "手机号码", "电话", "联系电话", "电话号码",
    ),
    "email": ("email", "e-mail", "mail", "邮箱", "电子邮箱", "电子邮件"),
    "id_number": (
        "id_number", "id_card", "national_id", "身份证", "身份证号", "身份证号码", "证件号",
    ),
    "address": ("address", "地址", "收货地址", "联系地址"),
    "province": ("province", "state", "省份", "省"),
    "city": ("city", "城市", "市"),
    "industry": ("industry", "行业", "所属行业"),
    "company_size": ("company_size", "employees", "staff", "员工人数", "企业规模", "公司规模"),
    "occupation": ("occupation", "job", "职业"),
    "income": ("income", "收入", "月收入", "年收入"),
    "education": ("education", "学历", "教育程度"),
    "register_date": (
        "register_date", "registration_date", "signup_date", "registered_at", "注册日期",
        "注册时间", "开户日期", "入会日期",
    ),
    "member_level": ("member_level", "tier", "vip_level", "level", "会员等级", "会员级别", "等级"),
    "tags": ("tags", "标签", "客户标签"),
    # consent (SPEC §10): true = the customer objects; 是/否, yes/no, 1/0 are read
    "objects_profiling": (
        "objects_profiling", "profiling_objection", "object_to_profiling", "opt_out_profiling",
        "profiling_opt_out", "no_profiling", "拒绝画像", "反对画像", "拒绝用户画像",
        "拒绝个性化推荐", "反对自动化决策", "拒绝数据分析",
    ),
    "objects_marketing": (
        "objects_marketing", "marketing_objection", "object_to_marketing", "opt_out_marketing",
        "marketing_opt_out", "opt_out", "unsubscribed", "do_not_contact", "拒绝营销",
        "反对营销", "退订", "已退订", "拒收营销", "拒收广告", "营销免打扰", "免打扰",
    ),
    "product_id": ("product_id", "sku", "item_id", "商品id", "商品编号", "产品编号", "商品编码"),
    "category": ("category", "品类", "类目", "商品类别", "商品分类"),
    "brand": ("brand", "品牌"),
    "unit_price": ("unit_price", "price", "单价", "商品单价"),
    "ts": ("ts", "timestamp", "time", "event_time", "datetime", "时间", "发生时间", "行为时间"),
    "event_type": ("event_type", "event", "action", "行为", "行为类型", "事件类型"),
    "object": ("object", "target", "page", "对象", "页面"),
    "value": ("value", "值", "数值"),
    "kind": ("kind", "type", "interaction_type", "类型", "互动类型"),
    "satisfaction": ("satisfaction", "csat", "满意度", "满意度评分"),
    "nps": ("nps", "推荐值", "净推荐值"),
    "text": ("text", "content", "comment", "feedback", "内容", "反馈", "备注"),
    "referrer_id": ("referrer_id", "referrer", "推荐人", "推荐人id", "推荐人编号"),
    "referred_id": ("referred_id", "referee", "被推荐人", "被推荐人id", "被推荐人编号"),
}


def normalize_header(header: str) -> str:
    """Fold a header for comparison: NFKC (full-width → ASCII), lower case, no blanks or ``_-.``.

    >>> normalize_header("  客户ＩＤ ")
    '客户id'
    >>> normalize_header("Order-Date")
    'orderdate'
    """
    text = unicodedata.normalize("NFKC", str(header)).strip().lower()
    return re.sub(r"[\s_\-.:：()（）]+", "", text)


HEADER_DICTIONARY: dict[str, str] = {
    normalize_header(s): column for column, synonyms in _SYNONYMS.items() for s in synonyms
}
