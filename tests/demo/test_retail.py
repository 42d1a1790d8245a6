"""Tests for the seeded dirty retail generator."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from custseg.demo.retail import generate_retail

N = 300
END = date(2026, 6, 30)
CUSTOMER_HEADER = "客户编号,姓名,性别,年龄,手机号,邮箱,身份证号,省份,城市,注册日期,渠道,会员等级"
ORDER_HEADER = "订单号,客户编号,下单时间,实付金额,订单状态,渠道,支付方式,优惠金额"
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("retail")
    files, truth = generate_retail(out, customers=N, seed=7, end_date=END)
    return out, files, truth


@pytest.fixture(scope="module")
def customers(generated) -> pd.DataFrame:
    out, _, _ = generated
    return pd.read_csv(out / "customers.csv", encoding="gbk", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def orders(generated) -> pd.DataFrame:
    out, _, _ = generated
    return pd.read_csv(out / "orders.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)


def _amount(text: str) -> float:
    return float(text.replace("¥", "").replace(",", ""))


def test_files_listed_with_tables(generated):
    out, files, _ = generated
    assert [(f.path, f.table) for f in files] == [
        (out / "customers.csv", "customers"),
        (out / "orders.csv", "orders"),
        (out / "order_items.parquet", "order_items"),
        (out / "events.jsonl", "events"),
        (out / "interactions.xlsx", "interactions"),
        (out / "referrals.csv", "referrals"),
    ]
    assert all(f.path.is_file() and f.description and "\n" not in f.description for f in files)


def test_same_seed_same_bytes_other_seed_differs(generated, tmp_path):
    _, files, _ = generated
    again, _ = generate_retail(tmp_path / "again", customers=N, seed=7, end_date=END)
    other, _ = generate_retail(tmp_path / "other", customers=N, seed=8, end_date=END)
    for first, second, third in zip(files, again, other, strict=True):
        assert first.path.read_bytes() == second.path.read_bytes(), first.path.name
        assert first.path.read_bytes() != third.path.read_bytes(), first.path.name


def test_customers_are_gbk_not_utf8(generated):
    out, _, _ = generated
    raw = (out / "customers.csv").read_bytes()
    assert raw.decode("gbk").splitlines()[0] == CUSTOMER_HEADER
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


def test_orders_start_with_bom_and_header(generated):
    out, _, _ = generated
    raw = (out / "orders.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw[3:].decode("utf-8").splitlines()[0] == ORDER_HEADER


def test_id_numbers_have_valid_check_digit_and_match_age(customers):
    rows = customers[customers["客户编号"] != ""]
    assert len(rows) == N - 2
    for idno, age, gender in zip(rows["身份证号"], rows["年龄"], rows["性别"], strict=True):
        assert len(idno) == 18 and idno[:17].isdigit()
        total = sum(int(d) * w for d, w in zip(idno[:17], WEIGHTS, strict=True))
        assert idno[17].upper() == "10X98765432"[total % 11]
        born = date(int(idno[6:10]), int(idno[10:12]), int(idno[12:14]))
        years = END.year - born.year - ((END.month, END.day) < (born.month, born.day))
        assert years == int(age) and 18 <= years <= 75
        assert int(idno[16]) % 2 == (1 if gender == "男" else 0)
    assert rows["身份证号"].str.endswith("x").any()


def test_customer_values_look_right(customers):
    digits = customers["手机号"].str.replace(r"^\+86-|\s", "", regex=True)
    assert digits.str.fullmatch(r"1[3-9]\d{9}").all()
    assert customers["手机号"].str.contains(" ").any()
    assert customers["手机号"].str.startswith("+86-").any()
    assert customers["邮箱"].str.fullmatch(r"[a-z]+\.[a-z]+\d*@example\.com").all()
    assert set(customers["性别"]) == {"男", "女"}
    assert set(customers["渠道"]) <= {"线上", "线下", "小程序"}
    levels = customers["会员等级"].value_counts()
    assert set(levels.index) <= {"普通", "银卡", "金卡", "钻石"} and levels.idxmax() == "普通"
    assert (~customers["城市"].str.endswith("市")).any()
    registered = pd.to_datetime(customers["注册日期"], format="%Y-%m-%d")
    assert registered.min() >= pd.Timestamp("2023-06-30")
    assert registered.max() <= pd.Timestamp(END)
    assert (customers["客户编号"] == "").sum() == 2
    assert customers.loc[customers["客户编号"] != "", "客户编号"].str.fullmatch(r"C\d{6}").all()


def test_duplicate_person_shares_phone_and_id_number(customers, generated):
    _, _, truth = generated
    first, second = truth.duplicate_person_ids
    a = customers.set_index("客户编号").loc[first]
    b = customers.set_index("客户编号").loc[second]
    assert first != second
    assert (a["姓名"], a["手机号"], a["身份证号"]) == (b["姓名"], b["手机号"], b["身份证号"])
    assert b["注册日期"] > a["注册日期"]
    ids = customers["身份证号"].str.upper()
    assert ids.duplicated().sum() == 1
    assert customers["手机号"].duplicated().sum() == 1


def test_test_accounts(customers, orders, generated):
    _, _, truth = generated
    names = customers.set_index("客户编号")["姓名"]
    flagged = names[names.str.contains("测试") | names.str.lower().str.contains("test")]
    assert sorted(flagged.index) == sorted(truth.test_account_ids)
    assert len(truth.test_account_ids) == 3
    assert orders["客户编号"].isin(truth.test_account_ids).any()


def test_truth_counts_match_files(generated, customers, orders):
    out, _, truth = generated
    assert truth.n_customers == len(customers) == N
    lines = (out / "orders.csv").read_text(encoding="utf-8-sig").splitlines()
    assert truth.n_orders == len(lines) - 1 == len(orders)
    assert orders.duplicated().sum() == 1
    assert orders["订单号"].duplicated().sum() == 1
    assert orders["订单号"].str.fullmatch(r"O\d{8}").all()


def test_orders_content(orders, customers):
    amounts = orders["实付金额"].map(_amount)
    assert orders["实付金额"].str.startswith("¥").any()
    assert (amounts[orders["订单状态"] == "已退款"] < 0).all()
    assert (amounts[orders["订单状态"] != "已退款"] > 0).all()
    assert orders["订单状态"].value_counts().idxmax() == "已完成"
    assert set(orders["渠道"]) == {"线上", "线下"}
    assert set(orders["支付方式"]) <= {"微信", "支付宝", "银行卡", "现金"}
    discount = orders["优惠金额"].astype(float)
    assert (discount >= 0).all() and (discount == 0).mean() > 0.5
    known = set(customers["客户编号"]) - {""}
    assert set(orders["客户编号"]) <= known
    assert len(known - set(orders["客户编号"])) > 0
    per_customer = orders.drop_duplicates().groupby("客户编号").size()
    assert (per_customer <= 2).mean() > 0.4 and per_customer.max() >= 10


def test_outliers_are_absurd(orders, generated):
    _, _, truth = generated
    amounts = orders.drop_duplicates().set_index("订单号")["实付金额"].map(_amount)
    median = amounts[amounts > 0].median()
    assert len(truth.outlier_order_ids) == 5
    assert (amounts.loc[list(truth.outlier_order_ids)] >= 50 * median).all()
    rest = amounts.drop(list(truth.outlier_order_ids))
    assert (rest < 50 * median).all()


def test_every_date_parses_with_a_truth_format(orders, customers, generated):
    _, _, truth = generated
    registered = customers.set_index("客户编号")["注册日期"]
    used = set()
    for text, who in zip(orders["下单时间"], orders["客户编号"], strict=True):
        for fmt in truth.date_formats:
            try:
                when = datetime.strptime(text, fmt)
            except ValueError:
                continue
            used.add(fmt)
            break
        else:
            pytest.fail(f"unparsed date {text!r}")
        assert registered[who] <= when.date().isoformat() <= END.isoformat()
    assert used == set(truth.date_formats)
    assert len(truth.date_formats) >= 5


def test_association_p0001_to_p0002_has_lift(generated, orders):
    out, _, _ = generated
    items = pq.read_table(out / "order_items.parquet").to_pandas()
    assert list(items.columns) == [
        "order_id", "product_id", "category", "brand", "quantity", "unit_price"
    ]
    sizes = items.groupby("order_id").size()
    assert sizes.between(1, 6).all()
    completed = set(orders.loc[orders["订单状态"] == "已完成", "订单号"])
    assert set(items["order_id"]) == completed
    assert items["product_id"].nunique() > 100 and items["category"].nunique() >= 12
    baskets = items.groupby("order_id")["product_id"].agg(set)
    has1 = baskets.map(lambda b: "P0001" in b)
    has2 = baskets.map(lambda b: "P0002" in b)
    lift = (has1 & has2).mean() / (has1.mean() * has2.mean())
    assert has1.sum() >= 5 and lift >= 3
    assert (has1 & has2).sum() / has1.sum() > 0.5
    assert set(items.loc[items["product_id"] == "P0001", "category"]) == {"数码"}


def test_events_jsonl(generated, customers):
    out, _, _ = generated
    lines = (out / "events.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines]
    assert all(list(e) == ["customer_id", "ts", "event_type", "object", "value"] for e in events)
    assert {e["event_type"] for e in events} == {"view", "search", "click", "login"}
    assert set(customers["客户编号"]) - {""} >= {e["customer_id"] for e in events}
    assert all(datetime.fromisoformat(e["ts"]).date() <= END for e in events)
    assert len(events) > 2 * N


def test_interactions_sheet(generated):
    out, _, _ = generated
    wb = openpyxl.load_workbook(out / "interactions.xlsx")
    assert wb.sheetnames == ["互动记录"]
    rows = list(wb["互动记录"].iter_rows(values_only=True))
    assert rows[0] == ("客户编号", "时间", "类型", "满意度", "内容")
    body = rows[1:]
    assert {r[2] for r in body} <= {"投诉", "咨询", "回访", "调研"}
    assert [r[3] for r in body].count("N/A") == 1
    assert [r[4] for r in body].count('=HYPERLINK("http://x","y")') == 1
    scores = pd.DataFrame([r for r in body if r[3] != "N/A"], columns=rows[0])
    assert scores["满意度"].between(1, 5).all()
    means = scores.groupby("类型")["满意度"].mean()
    assert means["投诉"] < means.drop("投诉").min()


def test_referrals(generated, customers):
    out, _, _ = generated
    raw = (out / "referrals.csv").read_text(encoding="utf-8")
    assert raw.splitlines()[0] == "referrer_id,referred_id,ts"
    refs = pd.read_csv(out / "referrals.csv", dtype=str)
    assert (refs["referrer_id"] == refs["referred_id"]).sum() == 1
    registered = customers.set_index("客户编号")["注册日期"]
    fair = refs[refs["referrer_id"] != refs["referred_id"]]
    referrer = registered[fair["referrer_id"]].to_numpy()
    assert (referrer <= registered[fair["referred_id"]].to_numpy()).all()


@pytest.mark.parametrize("size", [20, 57])
def test_customer_count_is_respected(tmp_path: Path, size: int):
    files, truth = generate_retail(tmp_path, customers=size, seed=3)
    text = files[0].path.read_bytes().decode("gbk")
    assert len(text.splitlines()) - 1 == size == truth.n_customers
    assert all(f.path.stat().st_size > 0 for f in files)


def test_too_few_customers_rejected(tmp_path: Path):
    with pytest.raises(ValueError, match="at least 20"):
        generate_retail(tmp_path, customers=19)
