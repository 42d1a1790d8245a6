"""Seeded generator of realistic, deliberately dirty Chinese retail source files.

The files imitate what a retailer hands over at the start of a segmentation
project: a GBK customer master, a BOM-prefixed order export with mixed date and
amount formats, a Parquet item table, JSON-lines events, an Excel sheet of
service interactions and a referral list. :func:`generate_retail` also returns
a :class:`RetailTruth` with the planted answers so that tests of the cleaning
stages can check what they find.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook

__all__ = ["GeneratedFile", "RetailTruth", "generate_retail"]

_SURNAMES = (
    "王 wang 李 li 张 zhang 刘 liu 陈 chen 杨 yang 黄 huang 赵 zhao 吴 wu 周 zhou 徐 xu 孙 sun "
    "马 ma 朱 zhu 胡 hu 郭 guo 何 he 林 lin 罗 luo 高 gao 郑 zheng 梁 liang 谢 xie 宋 song "
    "唐 tang 许 xu 韩 han 冯 feng 邓 deng 曹 cao"
).split()
_MALE = (
    "伟 wei 强 qiang 磊 lei 军 jun 勇 yong 杰 jie 涛 tao 明 ming 超 chao 刚 gang 浩 hao 宇 yu "
    "鹏 peng 斌 bin 辉 hui 建 jian 国 guo 俊 jun 文 wen 博 bo"
).split()
_FEMALE = (
    "芳 fang 娜 na 敏 min 静 jing 丽 li 艳 yan 婷 ting 雪 xue 琳 lin 慧 hui 颖 ying 洁 jie "
    "玲 ling 欣 xin 悦 yue 佳 jia 晨 chen 萍 ping 霞 xia 倩 qian"
).split()
_PLACES = [p.split(",") for p in (
    "广东省,深圳市,4403 广东省,广州市,4401 广东省,东莞市,4419 广东省,佛山市,4406 "
    "浙江省,杭州市,3301 浙江省,宁波市,3302 北京市,北京市,1101 上海市,上海市,3101 "
    "天津市,天津市,1201 重庆市,重庆市,5001 四川省,成都市,5101 江苏省,南京市,3201 "
    "江苏省,苏州市,3205 湖北省,武汉市,4201 湖南省,长沙市,4301 陕西省,西安市,6101 "
    "山东省,青岛市,3702 山东省,济南市,3701 福建省,厦门市,3502 福建省,福州市,3501 "
    "河南省,郑州市,4101 安徽省,合肥市,3401 辽宁省,沈阳市,2101 云南省,昆明市,5301 "
    "河北省,石家庄市,1301"
).split()]
_PHONE_PREFIXES = (
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 158 159 166 177 180 181 "
    "182 183 185 186 187 188 189 198 199"
).split()
_CATEGORIES = {
    "数码": ("华为 小米 倍思 绿联", 199), "服装": ("优衣库 太平鸟 李宁 森马", 159),
    "美妆": ("完美日记 花西子 珀莱雅 百雀羚", 129), "食品": ("三只松鼠 良品铺子 百草味 洽洽", 39),
    "家居": ("宜家 无印良品 网易严选 全友", 89), "母婴": ("贝亲 好孩子 飞鹤 帮宝适", 119),
    "运动": ("安踏 特步 迪卡侬 361度", 179), "图书": ("中信出版 人民文学 商务印书馆", 49),
    "个护": ("舒肤佳 海飞丝 云南白药 高露洁", 45), "宠物": ("皇家 伯纳天纯 麦富迪", 89),
    "酒水": ("茅台 五粮液 青岛啤酒 泸州老窖", 129), "家电": ("美的 格力 海尔 苏泊尔", 399),
}
_KEYWORDS = "连衣裙 手机壳 面霜 零食 蓝牙耳机 奶粉 跑鞋 台灯 猫粮 洗发水 羽绒服 电饭煲".split()
_TALK = {
    "投诉": ("快递太慢，包裹破损", "商品与描述不符", "客服态度差", "退款迟迟未到账"),
    "咨询": ("询问发货时间", "咨询会员积分规则", "询问尺码", "咨询优惠券使用"),
    "回访": ("购后回访，使用满意", "回访：建议增加颜色", "回访未接通"),
    "调研": ("参与新品调研", "已填写满意度问卷", "希望增加门店"),
}
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d", "%Y年%m月%d日", "%Y%m%d", "%Y.%m.%d")
_FILES = {
    "customers.csv": ("customers", "GBK; mixed phone formats, lowercase x in ID numbers, loose "
                      "places, one person under two ids, 3 test accounts, 2 empty 客户编号"),
    "orders.csv": ("orders", "UTF-8 BOM; mixed date formats, ¥1,234.00 amounts, negative refunds, "
                   "5 outliers ~100x median, one repeated line, test-account orders"),
    "order_items.parquet": ("order_items", "clean; planted association P0001 -> P0002"),
    "events.jsonl": ("events", "clean; more events for active customers"),
    "interactions.xlsx": ("interactions", "formula-like text payload in 内容, one 满意度 N/A"),
    "referrals.csv": ("referrals", "one self-referral row"),
}
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_EPOCH = date(1970, 1, 1)
_CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*")


@dataclass(frozen=True)
class GeneratedFile:
    """One generated source file: where it is, which canonical table it feeds, its dirt."""

    path: Path
    table: str
    description: str


@dataclass(frozen=True)
class RetailTruth:
    """Planted answers for checking later cleaning stages.

    Attributes
    ----------
    duplicate_person_ids : tuple of str
        Two customer ids of one person (same name, phone and ID number); the second
        registered later.
    test_account_ids : tuple of str
        Customers whose name contains 测试 or "test".
    outlier_order_ids : tuple of str
        Completed orders whose amount is about 100x the median.
    date_formats : tuple of str
        ``strptime`` patterns that together parse every 下单时间 in orders.csv, each used.
    n_customers : int
        Data rows in customers.csv.
    n_orders : int
        Data lines in orders.csv, the repeated duplicate line included.
    """

    duplicate_person_ids: tuple[str, str]
    test_account_ids: tuple[str, ...]
    outlier_order_ids: tuple[str, ...]
    date_formats: tuple[str, ...]
    n_customers: int
    n_orders: int


def _shift_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def _day(d: date) -> int:
    return (d - _EPOCH).days


def _pick(rng: np.random.Generator, options, n: int, p=None) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.choice(len(options), n, p=p)]


def _moments(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, h0: int, h1: int):
    day = lo + np.floor(rng.random(lo.size) * (hi - lo + 1)).astype(np.int64)
    return day * 86400 + rng.integers(h0 * 3600, h1 * 3600, lo.size)


def _iso(seconds: np.ndarray, sep: str = "T") -> list[str]:
    return [s.replace("T", sep) for s in np.datetime_as_string(seconds.astype("datetime64[s]"))]


def _names(rng: np.random.Generator, male: np.ndarray) -> tuple[list[str], list[str]]:
    n, k = male.size, len(_SURNAMES) // 2
    sw = 1 / np.arange(1, k + 1) ** 0.6
    sur = rng.choice(k, n, p=sw / sw.sum())
    g1, g2, single = rng.integers(0, 20, n), rng.integers(0, 20, n), rng.random(n) < 0.35
    names, emails, seen = [], [], {}
    for s, m, a, b, one in zip(sur, male, g1, g2, single, strict=True):
        pool = _MALE if m else _FEMALE
        picks = (a,) if one else (a, b)
        names.append(_SURNAMES[2 * s] + "".join(pool[2 * i] for i in picks))
        base = "".join(pool[2 * i + 1] for i in picks) + "." + _SURNAMES[2 * s + 1]
        seen[base] = seen.get(base, -1) + 1
        emails.append(f"{base}{seen[base] or ''}@example.com")
    return names, emails


def _id_numbers(rng: np.random.Generator, region: list, birth: np.ndarray, male) -> list[str]:
    ymd = [s.replace("-", "") for s in np.datetime_as_string(birth.astype("datetime64[D]"))]
    seq, clash = np.zeros(birth.size, np.int64), np.ones(birth.size, bool)
    while clash.any():
        seq[clash] = rng.integers(1, 500, clash.sum()) * 2 - male[clash]
        body = [f"{r}{b}{q:03d}" for r, b, q in zip(region, ymd, seq, strict=True)]
        clash = pd.Series(body).duplicated().to_numpy()
    digits = np.frombuffer("".join(body).encode("ascii"), np.uint8).reshape(-1, 17) - 48
    check = np.array(list("10X98765432"))[(digits.astype(np.int64) @ _ID_WEIGHTS) % 11]
    return [b + c for b, c in zip(body, check, strict=True)]


def _phones(rng: np.random.Generator, n: int) -> list[str]:
    num = rng.choice(len(_PHONE_PREFIXES) * 10**8, n, replace=False).tolist()
    style = rng.choice(3, n, p=[0.92, 0.05, 0.03]).tolist()
    out = []
    for x, s in zip(num, style, strict=True):
        d = f"{_PHONE_PREFIXES[x // 10**8]}{x % 10**8:08d}"
        out.append(d if s == 0 else f"{d[:3]} {d[3:7]} {d[7:]}" if s == 1 else f"+86-{d}")
    return out


def _customers(rng: np.random.Generator, n: int, end: date) -> dict:
    start, stop = _day(_shift_years(end, -3)), _day(end)
    reg = np.sort(start + np.floor((stop - start) * rng.random(n) ** 0.7).astype(np.int64))
    male = rng.random(n) < 0.48
    age = np.clip(np.round(rng.normal(36, 11, n)), 18, 75).astype(np.int64)
    lo = np.array([_day(_shift_years(end, -a - 1)) + 1 for a in range(76)])
    hi = np.array([_day(_shift_years(end, -a)) for a in range(76)])
    pw = np.linspace(3, 1, len(_PLACES))
    place = rng.choice(len(_PLACES), n, p=pw / pw.sum())
    district = rng.integers(1, 10, n)
    region = [f"{_PLACES[p][2]}{d:02d}" for p, d in zip(place, district, strict=True)]
    idno = _id_numbers(rng, region, rng.integers(lo[age], hi[age] + 1), male)
    for i in [i for i in rng.permutation(n) if idno[i].endswith("X")][:3]:
        idno[i] = idno[i][:-1] + "x"
    loose = (rng.random((2, n)) < 0.03).tolist()
    names, emails = _names(rng, male)
    c = {
        "id": np.array([f"C{i:06d}" for i in range(1, n + 1)], dtype=object),
        "name": names, "male": male, "age": age, "phone": _phones(rng, n), "email": emails,
        "idno": idno, "reg": reg,
        "prov": [_PLACES[p][0].removesuffix("省") if x else _PLACES[p][0]
                 for p, x in zip(place, loose[0], strict=True)],
        "city": [_PLACES[p][1].removesuffix("市") if x else _PLACES[p][1]
                 for p, x in zip(place, loose[1], strict=True)],
        "channel": _pick(rng, ("线上", "线下", "小程序"), n, p=[0.45, 0.3, 0.25]),
        "level": _pick(rng, ("普通", "银卡", "金卡", "钻石"), n, p=[0.6, 0.25, 0.12, 0.03]),
    }
    life = np.minimum(reg + rng.exponential(420, n).astype(np.int64), stop)
    c["last"] = np.where(rng.random(n) < 0.65, life, stop)
    s = int(rng.integers(0, n // 2))
    later = np.flatnonzero(reg > reg[s] + 30)
    t = int(rng.choice(later)) if later.size else n - 1
    reg[t] = max(reg[t], reg[s] + 1)
    c["last"] = np.maximum(c["last"], reg)
    for key in ("name", "male", "age", "phone", "idno", "prov", "city"):
        c[key][t] = c[key][s]
    special = rng.choice(np.setdiff1d(np.arange(n), [s, t]), 5, replace=False)
    for i, label in zip(special[:3], ("测试用户1", "测试用户2", "test user"), strict=True):
        c["name"][i] = label
    c["dup"], c["tests"] = (c["id"][s], c["id"][t]), np.sort(special[:3])
    c["id"][special[3:]] = ""
    c["valid"] = c["id"] != ""
    return c


def _orders(rng: np.random.Generator, c: dict) -> tuple:
    n = c["id"].size
    k = 1 + rng.negative_binomial(0.7, 0.7 / 3.2, n)
    k[rng.random(n) < 0.03] = 0
    k[c["tests"]] = np.maximum(k[c["tests"]], 3)
    k[~c["valid"]] = 0
    cust = np.repeat(np.arange(n), k)
    sec = _moments(rng, c["reg"][cust], c["last"][cust], 8, 24)
    order = np.lexsort((cust, sec))
    cust, sec, m = cust[order], sec[order], cust.size
    oid = np.array([f"O{i:08d}" for i in range(1, m + 1)], dtype=object)
    status = _pick(rng, ("已完成", "已取消", "已退款"), m, p=[0.9, 0.06, 0.04])
    done = status == "已完成"
    amount = np.maximum(np.round(rng.lognormal(np.log(150), 0.7, m), 2), 1.0)
    disc = np.where(rng.random(m) < 0.2, np.round(amount * rng.uniform(0.05, 0.25, m)), 0.0)
    out = np.sort(rng.choice(np.flatnonzero(done), min(5, int(done.sum())), replace=False))
    amount[out] = np.round(np.median(amount[done]) * 100 * rng.uniform(1.0, 1.3, out.size), 2)
    disc[out] = 0.0
    amount = np.where(status == "已退款", -amount, amount)
    yen = (rng.random(m) < 0.08) & (amount > 0)
    fmt = rng.choice(5, m, p=[0.88, 0.03, 0.03, 0.03, 0.03])
    fmt[rng.choice(m, 4, replace=False)] = [1, 2, 3, 4]
    day = (sec // 86400).astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    ymd = zip(day.astype("datetime64[Y]").astype(int) + 1970, month.astype(int) % 12 + 1,
              (day - month).astype(int) + 1, strict=True)
    pats = ("{}/{}/{}", "{}年{}月{}日", "{}{:02d}{:02d}", "{}.{}.{}")
    offline = rng.random(m) < np.where(c["channel"][cust] == "线下", 0.8, 0.15)
    pay_off = _pick(rng, ("微信", "支付宝", "银行卡", "现金"), m, p=[0.4, 0.25, 0.2, 0.15])
    pay_on = _pick(rng, ("微信", "支付宝", "银行卡"), m, p=[0.5, 0.4, 0.1])
    frame = pd.DataFrame({
        "订单号": oid, "客户编号": c["id"][cust],
        "下单时间": [b if f == 0 else pats[f - 1].format(*t)
                     for b, f, t in zip(_iso(sec, " "), fmt, ymd, strict=True)],
        "实付金额": [f"¥{a:,.2f}" if y else f"{a:.2f}" for a, y in zip(amount, yen, strict=True)],
        "订单状态": status, "渠道": np.where(offline, "线下", "线上"),
        "支付方式": np.where(offline, pay_off, pay_on), "优惠金额": [f"{d:.2f}" for d in disc],
    })
    dup = int(rng.choice(np.setdiff1d(np.arange(m), out)))
    frame = frame.iloc[np.insert(np.arange(m), dup + 1, dup)]
    return frame, oid[done], k, tuple(oid[out])


def _items(rng: np.random.Generator, oid: np.ndarray) -> pa.Table:
    cats = list(_CATEGORIES)
    pcat = np.concatenate([[0, 0], rng.integers(0, len(cats), 198)])
    brand = ["倍思", "绿联"] + [str(rng.choice(_CATEGORIES[cats[i]][0].split())) for i in pcat[2:]]
    base = np.array([_CATEGORIES[cats[i]][1] for i in pcat[2:]], dtype=float)
    price = np.floor(base * rng.lognormal(0, 0.5, 198))
    price = np.concatenate([[39.9, 29.9], np.maximum(price, 9) + 0.9])
    nc = oid.size
    row = np.repeat(np.arange(nc), rng.choice(4, nc, p=[0.5, 0.3, 0.15, 0.05]) + 1)
    w = rng.permutation(1 / np.arange(1, 199) ** 0.6)
    prod = 2 + rng.choice(198, row.size, p=w / w.sum())
    with1 = rng.choice(nc, min(nc, max(5, round(0.02 * nc))), replace=False)
    rest = np.setdiff1d(np.arange(nc), with1)
    solo2 = rng.choice(rest, min(rest.size, max(2, round(0.01 * nc))), replace=False)
    both = with1[: round(0.8 * with1.size)]
    row = np.concatenate([row, with1, both, solo2])
    prod = np.concatenate([prod, np.zeros(with1.size, int), np.ones(both.size + solo2.size, int)])
    _, first = np.unique(row * 1000 + prod, return_index=True)
    row, prod = row[first], prod[first]
    return pa.table({
        "order_id": oid[row].tolist(), "product_id": [f"P{p + 1:04d}" for p in prod],
        "category": [cats[pcat[p]] for p in prod], "brand": [brand[p] for p in prod],
        "quantity": rng.choice(3, row.size, p=[0.8, 0.15, 0.05]) + 1, "unit_price": price[prod],
    })


def _events(rng: np.random.Generator, c: dict, n_orders: np.ndarray, end_day: int) -> str:
    vi = np.flatnonzero(c["valid"])
    cust = np.repeat(vi, 1 + rng.poisson(1 + 1.2 * np.minimum(n_orders[vi], 15)))
    sec = _moments(rng, c["reg"][cust], np.minimum(c["last"][cust] + 60, end_day), 0, 24)
    order = np.lexsort((cust, sec))
    cust, sec, m = cust[order], sec[order], cust.size
    kind = _pick(rng, ("view", "click", "search", "login"), m, p=[0.5, 0.25, 0.15, 0.1])
    prods = [f"P{p:04d}" for p in rng.integers(1, 201, m)]
    login = np.where(kind == "login", _pick(rng, ("app", "web", "miniprogram"), m), prods)
    obj = np.where(kind == "search", _pick(rng, _KEYWORDS, m), login)
    dwell = np.round(rng.lognormal(3, 1, m), 1)
    return "".join(
        f'{{"customer_id": "{i}", "ts": "{t}", "event_type": "{k}", "object": "{o}", '
        f'"value": {f"{v:.1f}" if k == "view" else "null"}}}\n'
        for i, t, k, o, v in zip(c["id"][cust], _iso(sec), kind, obj, dwell, strict=True))


def _save_xlsx(wb: Workbook, path: Path, stamp: datetime) -> None:
    wb.properties.created = stamp
    buf = io.BytesIO()
    wb.save(buf)
    fixed = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _CORE_DATES.sub(rb"\g<1>" + fixed, data)
            entry = zipfile.ZipInfo(info.filename, (1980, 1, 1, 0, 0, 0))
            dst.writestr(entry, data, zipfile.ZIP_DEFLATED)


def _interactions(rng: np.random.Generator, c: dict, end_day: int) -> Workbook:
    vi = np.flatnonzero(c["valid"])
    who = rng.choice(vi, max(5, round(0.15 * vi.size)), replace=False)
    cust = np.repeat(who, 1 + np.minimum(rng.poisson(0.5, who.size), 2))
    sec = _moments(rng, c["reg"][cust], np.full(cust.size, end_day), 9, 21)
    order = np.lexsort((cust, sec))
    cust, sec, m = cust[order], sec[order], cust.size
    kind = _pick(rng, tuple(_TALK), m, p=[0.15, 0.45, 0.25, 0.15])
    low = rng.choice(5, m, p=[0.35, 0.35, 0.2, 0.07, 0.03])
    score = np.where(kind == "投诉", low, rng.choice(5, m, p=[0.02, 0.05, 0.2, 0.4, 0.33])) + 1
    pick = rng.integers(0, 12, m)
    text = [_TALK[k][j % len(_TALK[k])] for k, j in zip(kind, pick, strict=True)]
    bad_text, bad_score = rng.choice(m, 2, replace=False)
    wb = Workbook()
    ws = wb.active
    ws.title = "互动记录"
    ws.append(["客户编号", "时间", "类型", "满意度", "内容"])
    rows = zip(c["id"][cust], sec.astype("datetime64[s]").tolist(), kind, score.tolist(), text,
               strict=True)
    for r, (i, t, k, s, x) in enumerate(rows):
        ws.append([i, t, k, "N/A" if r == bad_score else s, x])
    cell = ws.cell(row=int(bad_text) + 2, column=5, value='=HYPERLINK("http://x","y")')
    cell.data_type = "s"
    return wb


def _referrals(rng: np.random.Generator, c: dict) -> pd.DataFrame:
    vi = np.flatnonzero(c["valid"])
    k = max(3, round(0.08 * vi.size))
    rank = np.sort(rng.choice(np.arange(1, vi.size), k, replace=False))
    referrer = vi[rng.integers(0, rank)]
    sec = c["reg"][vi[rank]] * 86400 + rng.integers(9 * 3600, 22 * 3600, rank.size)
    frame = pd.DataFrame({"referrer_id": c["id"][referrer], "referred_id": c["id"][vi[rank]],
                          "ts": _iso(sec, " ")})
    self_ref = frame.iloc[[int(rng.integers(0, k))]]
    self_ref = self_ref.assign(referrer_id=self_ref["referred_id"])
    return pd.concat([frame, self_ref], ignore_index=True)


def _customer_frame(c: dict) -> pd.DataFrame:
    return pd.DataFrame({
        "客户编号": c["id"], "姓名": c["name"], "性别": np.where(c["male"], "男", "女"),
        "年龄": c["age"], "手机号": c["phone"], "邮箱": c["email"], "身份证号": c["idno"],
        "省份": c["prov"], "城市": c["city"],
        "注册日期": np.datetime_as_string(c["reg"].astype("datetime64[D]")),
        "渠道": c["channel"], "会员等级": c["level"],
    })


def generate_retail(
    out_dir: Path, *, customers: int = 2000, seed: int = 7, end_date: date = date(2026, 6, 30)
) -> tuple[list[GeneratedFile], RetailTruth]:
    """Write six dirty retail source files and return them with their planted truth.

    Parameters
    ----------
    out_dir : Path
        Directory to write into; created if missing, existing files are overwritten.
    customers : int
        Data rows in customers.csv (dirty rows included); at least 20.
    seed : int
        Seed of the numpy generator; the same seed gives byte-identical files.
    end_date : date
        Last day of the data; registrations span the three years before it.

    Returns
    -------
    files : list of GeneratedFile
        customers.csv, orders.csv, order_items.parquet, events.jsonl,
        interactions.xlsx and referrals.csv, in that order.
    truth : RetailTruth
        The duplicate person, test accounts, outlier orders, date formats and counts.
    """
    if customers < 20:
        raise ValueError(f"customers must be at least 20, got {customers}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    end_day = _day(end_date)
    csv = {"index": False, "lineterminator": "\n"}
    c = _customers(rng, customers, end_date)
    _customer_frame(c).to_csv(out / "customers.csv", encoding="gbk", **csv)
    orders, done_ids, n_orders, outliers = _orders(rng, c)
    orders.to_csv(out / "orders.csv", encoding="utf-8-sig", **csv)
    pq.write_table(_items(rng, done_ids), out / "order_items.parquet")
    events = _events(rng, c, n_orders, end_day)
    (out / "events.jsonl").write_text(events, encoding="utf-8", newline="\n")
    stamp = datetime(end_date.year, end_date.month, end_date.day)
    _save_xlsx(_interactions(rng, c, end_day), out / "interactions.xlsx", stamp)
    _referrals(rng, c).to_csv(out / "referrals.csv", encoding="utf-8", **csv)
    files = [GeneratedFile(out / name, table, text) for name, (table, text) in _FILES.items()]
    truth = RetailTruth(
        duplicate_person_ids=c["dup"], test_account_ids=tuple(c["id"][c["tests"]]),
        outlier_order_ids=outliers, date_formats=_DATE_FORMATS, n_customers=customers,
        n_orders=len(orders),
    )
    return files, truth
