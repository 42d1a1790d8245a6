"""Cleaning benchmark: what the cleaning stage costs next to ingestion, on dirty data.

    python bench/bench_clean.py [--rows 10000000] [--dirt 0.01] [--out bench/out]

1. Generates (once; cached in --out as clean_orders_<rows>_<dirt>.csv, clean_customers_… .csv
   and clean_planted_… .json) an orders export with Chinese headers
   订单号,客户编号,下单时间,实付金额,订单状态,手机号,客户姓名 and a customers export
   客户编号,姓名,手机号,邮箱,注册日期,省份,城市 (~rows/5 customers, skewed order counts, dates
   over 2023-2025, log-normal amounts, registrations 2020-2022). About --dirt of the order lines
   are dirty, spread through the file: mixed date formats (2024/3/5, 2024年3月5日, 20240305),
   amounts like ¥1,234.00, exact duplicate lines, the same order id with other content,
   negative amounts on non-refunds, dates in 2099, orders of test accounts (姓名 contains 测试),
   outliers (100-200x the median amount) and empty customer ids; the customers file has test
   accounts, one person under two ids (same phone, written differently), +86 phones and mixed
   date formats. Written in 1M-line chunks (bounded memory); the planted counts are recorded.
2. Runs each measurement in its own subprocess (time.perf_counter after imports; peak MiB is
   the child's VmHWM, including the interpreter and libraries, see import_mib):
     ingest      Project.init + ingest(customers) + ingest(orders) + close, cleaning as it runs
                 by default (custseg.io.rebuild.clean_database inside every load; a timing
                 wrapper around it says how much of each load was cleaning)
     clean       Project.open + project.clean() + close on the project that `ingest` built:
                 every rule over all data again (plus the quality report clean() returns);
                 each SQL statement of the cleaning stage is timed to show where time goes
     raw ingest  the same as `ingest` with clean_database patched to a no-op in that child
                 only: staging, raw tables and load log, without cleaning
   ratio cleaning/ingestion = clean / raw ingest (same run); the in-load split is printed too.
3. Prints the table, the quality balance and rule hits of project.quality() against the
   planted counts, the dominant cleaning steps, and writes --out/clean.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import CHUNK, STATUS, peak_mib  # noqa: E402

ORDER_HEADER = "订单号,客户编号,下单时间,实付金额,订单状态,手机号,客户姓名"
CUSTOMER_HEADER = "客户编号,姓名,手机号,邮箱,注册日期,省份,城市"
STATUS_ZH = {"completed": "已完成", "cancelled": "已取消", "refunded": "已退款",
             "pending": "待付款"}
REGIONS = [("广东省", "深圳市"), ("广东省", "广州市"), ("浙江省", "杭州市"), ("江苏省", "南京市"),
           ("江苏省", "苏州市"), ("北京市", "北京市"), ("上海市", "上海市"), ("四川省", "成都市"),
           ("湖北省", "武汉市"), ("山东省", "青岛市"), ("福建省", "厦门市"), ("河南省", "郑州市"),
           ("陕西省", "西安市"), ("重庆市", "重庆市"), ("天津市", "天津市"), ("湖南省", "长沙市")]
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
            "许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁")
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍"
         "红玲芬燕彬鹏辉斌宇浩凯健俊帆旭宁欣怡佳琪雪梅琳晨阳博文轩睿哲")
MU, SIGMA = 4.5, 0.8  # log-normal amounts: median e^4.5 ≈ 90; the MAD rule's bound is ≈ 55x
# Share of the dirt per kind of order-line problem (sums to 1 with the test-account lines).
ORDER_DIRT = {"date_format": 0.30, "yen_amount": 0.20, "duplicate": 0.10, "conflict": 0.05,
              "negative": 0.05, "future": 0.05, "outlier": 0.05, "missing_id": 0.05}
TEST_SHARE, IDENTITY_SHARE, CUSTOMER_FORMAT_SHARE = 0.05, 0.10, 0.30
EPOCH = date(1970, 1, 1)


# --------------------------------------------------------------------------- data generation


def _paths(rows: int, dirt: float, out: Path) -> tuple[Path, Path, Path]:
    tag = f"{rows}_{dirt:g}"
    return (out / f"clean_orders_{tag}.csv", out / f"clean_customers_{tag}.csv",
            out / f"clean_planted_{tag}.json")


def _odd_date(day: int, kind: int) -> str:
    d = EPOCH + timedelta(days=int(day))
    return (f"{d.year}/{d.month}/{d.day}", f"{d.year}年{d.month}月{d.day}日",
            f"{d.year}{d.month:02d}{d.day:02d}")[kind % 3]


def generate(rows: int, dirt: float, out: Path) -> tuple[Path, Path, dict]:
    """Write the two CSV files and the planted counts (skipped when all three exist)."""
    orders_path, customers_path, planted_path = _paths(rows, dirt, out)
    if orders_path.exists() and customers_path.exists() and planted_path.exists():
        return orders_path, customers_path, json.loads(planted_path.read_text())
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    rng = np.random.default_rng(20250306)
    out.mkdir(parents=True, exist_ok=True)
    write_options = pcsv.WriteOptions(include_header=False)  # strings quoted: "¥1,234.00"

    def padded(prefix: str, values, width: int) -> pa.Array:
        text = pc.utf8_lpad(pc.cast(pa.array(values), pa.string()), width, padding="0")
        return pc.binary_join_element_wise(prefix, text, "")

    def patch(array: pa.Array, idx, texts: list[str]) -> pa.Array:
        """``array`` with the values at ``idx`` replaced by ``texts`` (same order)."""
        if len(idx) == 0:
            return array
        order = np.argsort(idx)
        mask = np.zeros(len(array), bool)
        mask[idx] = True
        return pc.replace_with_mask(array, pa.array(mask),
                                    pa.array([texts[i] for i in order], pa.string()))

    # ---- customers: all attributes in memory (rows/5 values each), written in chunks
    n_cust = max(1, rows // 5)
    idx = np.arange(n_cust)
    cid = padded("C", idx + 1, max(7, len(str(n_cust))))
    phone = padded("139", (idx * 7919 + 12345) % 10**8, 8)  # distinct mobile numbers
    name = np.char.add(np.array(list(SURNAMES))[rng.integers(0, len(SURNAMES), n_cust)],
                       np.char.add(np.array(list(GIVEN))[rng.integers(0, len(GIVEN), n_cust)],
                                   np.array(list(GIVEN))[rng.integers(0, len(GIVEN), n_cust)]))
    name = pa.array(name, pa.string())
    email = pc.binary_join_element_wise("u", pc.cast(pa.array(idx + 1), pa.string()),
                                        "@example.cn", "")
    reg_day = rng.integers((date(2020, 1, 1) - EPOCH).days, (date(2022, 12, 31) - EPOCH).days,
                           n_cust)
    n_test = round(TEST_SHARE * dirt * n_cust)
    n_pairs = min(round(IDENTITY_SHARE * dirt * n_cust), (n_cust - n_test) // 2)
    shuffled = rng.permutation(n_cust)
    test_idx = np.sort(shuffled[:n_test])
    a_idx = shuffled[n_test:n_test + n_pairs]
    b_idx = shuffled[n_test + n_pairs:n_test + 2 * n_pairs]
    is_test = np.zeros(n_cust, bool)
    is_test[test_idx] = True
    name = patch(name, test_idx, [f"测试账号{k + 1:04d}" for k in range(n_test)])
    phone = patch(phone, b_idx, [phone[int(a)].as_py() for a in a_idx])  # same person, two ids
    # the id that folds into the other: later registration, then the larger id
    merged_away = np.where((reg_day[b_idx] > reg_day[a_idx])
                           | ((reg_day[b_idx] == reg_day[a_idx]) & (b_idx > a_idx)), b_idx, a_idx)
    n_fmt = round(CUSTOMER_FORMAT_SHARE * dirt * n_cust)
    fmt_phone = rng.choice(n_cust, n_fmt, replace=False)  # includes some pair members
    phone_text = patch(phone, fmt_phone, [
        (f"+86 {p[:3]} {p[3:7]} {p[7:]}" if k % 2 else f"{p[:3]}-{p[3:7]}-{p[7:]}")
        for k, p in enumerate(phone.take(pa.array(fmt_phone)).to_pylist())])
    fmt_reg = rng.choice(n_cust, n_fmt, replace=False)
    reg_text = patch(pc.cast(pa.array(reg_day.astype(np.int32)).cast(pa.date32()), pa.string()),
                     fmt_reg, [_odd_date(reg_day[i], k) for k, i in enumerate(fmt_reg)])
    region = pa.array(rng.integers(0, len(REGIONS), n_cust))
    provinces, cities = (pa.array([r[i] for r in REGIONS]) for i in (0, 1))
    tmp = customers_path.with_suffix(".csv.tmp")
    with open(tmp, "wb") as fh:
        fh.write((CUSTOMER_HEADER + "\n").encode())
        for lo in range(0, n_cust, CHUNK):
            s = slice(lo, min(lo + CHUNK, n_cust))
            chunk = pa.table({"c": cid[s], "n": name[s], "p": phone_text[s], "e": email[s],
                              "r": reg_text[s], "pr": provinces.take(region[s]),
                              "ci": cities.take(region[s])})
            pcsv.write_csv(chunk, fh, write_options)
    tmp.rename(customers_path)

    # ---- orders, 1M lines at a time
    cdf = np.cumsum(rng.lognormal(0.0, 1.0, n_cust))  # skewed share of orders per customer
    cdf /= cdf[-1]
    first_day = (date(2023, 1, 1) - EPOCH).days
    days = 3 * 365 + 1
    status_labels = pa.array([STATUS_ZH[s] for s in STATUS[0]])
    median = float(np.exp(MU))
    lines = np.zeros(n_cust, np.int64)  # order lines per customer that carry its id
    counts = dict.fromkeys([*ORDER_DIRT, "test_lines"], 0)
    counts["date_format_kinds"] = [0, 0, 0]
    next_id = 0
    tmp = orders_path.with_suffix(".csv.tmp")
    with open(tmp, "wb") as fh:
        fh.write((ORDER_HEADER + "\n").encode())
        for lo in range(0, rows, CHUNK):
            m = min(CHUNK, rows - lo)
            k = {kind: round(share * dirt * m) for kind, share in ORDER_DIRT.items()}
            k["duplicate"] = min(k["duplicate"], m // 4)
            k["conflict"] = min(k["conflict"], m // 4)
            base = m - k["duplicate"] - k["conflict"]  # the copies fill the chunk to m lines
            d_lo = days * lo // rows
            d_hi = max(days * (lo + m) // rows, d_lo + 1)
            day = np.sort(rng.integers(d_lo, d_hi, base)) + first_day  # export sorted by date
            cust = np.minimum(np.searchsorted(cdf, rng.random(base)), n_cust - 1)
            amount = np.maximum(np.round(rng.lognormal(MU, SIGMA, base), 2), 0.01)
            status = rng.choice(len(STATUS[0]), base, p=STATUS[1])
            # dirty lines: disjoint, never lines of test accounts (those are dirt of their own)
            eligible = np.flatnonzero(~is_test[cust])
            want = [(kind, min(k[kind], len(eligible))) for kind in ORDER_DIRT]
            picked = rng.choice(eligible, min(sum(n for _, n in want), len(eligible)),
                                replace=False)
            sets, at = {}, 0
            for kind, n in want:
                sets[kind] = np.sort(picked[at:at + n])
                at += n
                counts[kind] += len(sets[kind])
            neg, out_ = sets["negative"], sets["outlier"]
            amount[neg] = -amount[neg]
            status[neg] = STATUS[0].index("completed")
            amount[out_] = np.round(median * rng.uniform(100, 200, len(out_)), 2)
            date_text = pc.cast(pa.array(day.astype(np.int32)).cast(pa.date32()), pa.string())
            fmt, fut = sets["date_format"], sets["future"]
            kinds = rng.integers(0, 3, len(fmt))
            for kind in kinds:
                counts["date_format_kinds"][kind] += 1
            odd = [_odd_date(day[i], kind) for i, kind in zip(fmt, kinds, strict=True)]
            future = []
            for i in fut:
                d = EPOCH + timedelta(days=int(day[i]))
                future.append(f"2099-{d.month:02d}-{min(d.day, 28 if d.month == 2 else 31):02d}")
            both = np.concatenate([fmt, fut]).astype(np.int64)
            date_text = patch(date_text, both, odd + future)
            yen = sets["yen_amount"]
            amount_text = patch(pc.cast(pa.array(amount), pa.string()), yen,
                                [f"¥{v:,.2f}" for v in amount[yen]])
            cust_text = cid.take(pa.array(cust))
            missing = sets["missing_id"]
            if len(missing):
                mask = np.zeros(base, bool)
                mask[missing] = True
                cust_text = pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), cust_text)
            table = pa.table({
                "o": padded("O", np.arange(next_id + 1, next_id + base + 1),
                            max(9, len(str(rows)))),
                "c": cust_text, "d": date_text, "a": amount_text,
                "s": status_labels.take(pa.array(status)),
                "p": phone.take(pa.array(cust)), "n": name.take(pa.array(cust))})
            next_id += base
            dup, conf = sets["duplicate"], sets["conflict"]
            changed = table.take(pa.array(conf, pa.int64()))
            changed = changed.set_column(3, "a", pc.cast(pa.array(amount[conf] + 1.0), pa.string()))
            pcsv.write_csv(pa.concat_tables([table, table.take(pa.array(dup, pa.int64())),
                                             changed]), fh, write_options)
            keep = np.ones(base, bool)
            keep[missing] = False
            lines += np.bincount(cust[keep], minlength=n_cust)
            lines += np.bincount(cust[np.concatenate([dup, conf]).astype(np.int64)],
                                 minlength=n_cust)
    tmp.rename(orders_path)
    counts["test_lines"] = int(lines[is_test].sum())
    planted = {
        "rows": rows, "dirt": dirt,
        "orders": {"lines": rows, "orders": next_id, **counts,
                   "dirty_lines": sum(v for kk, v in counts.items() if kk in ORDER_DIRT)
                   + counts["test_lines"]},
        "customers": {
            "lines": n_cust, "test_accounts": n_test, "identity_pairs": n_pairs,
            "phone_reformatted": n_fmt, "register_date_reformatted": n_fmt,
            "merged_away_lines": int(n_pairs + lines[merged_away].sum()),
        },
    }
    planted_path.write_text(json.dumps(planted, indent=2) + "\n")
    return orders_path, customers_path, planted


def expected(planted: dict) -> dict:
    """Rule hits and balance the cleaning stage should report for the planted dirt."""
    o, c = planted["orders"], planted["customers"]
    rules = {
        ("orders", "missing_key"): o["missing_id"],
        ("orders", "test_account"): o["test_lines"],
        ("orders", "future_date"): o["future"],
        ("orders", "negative_not_refund"): o["negative"],
        ("orders", "order_id_conflict"): 2 * o["conflict"],
        ("orders", "duplicate_order"): o["duplicate"],
        ("orders", "outlier_amount"): o["outlier"],
        ("orders", "unreadable_date"): 0,
        ("orders", "unreadable_float"): 0,
        ("customers", "test_account"): c["test_accounts"] + o["test_lines"],
        ("customers", "identity_merge"): c["merged_away_lines"],
        ("customers", "missing_key"): o["missing_id"],
        ("customers", "unreadable_date"): 0,
        ("customers", "unknown_region"): 0,
    }
    o_quarantined = (o["missing_id"] + o["test_lines"] + o["future"] + o["negative"]
                     + 2 * o["conflict"] + o["duplicate"])
    c_quarantined = c["test_accounts"] + o["test_lines"] + o["missing_id"]
    balance = {
        "orders": {"rows_in": o["lines"], "clean": o["lines"] - o_quarantined,
                   "quarantined": o_quarantined, "merged": 0},
        "customers": {
            "rows_in": c["lines"] + o["lines"],
            "clean": c["lines"] - c["test_accounts"] - c["identity_pairs"],
            "quarantined": c_quarantined,
            "merged": o["lines"] - o["test_lines"] - o["missing_id"] + c["identity_pairs"]},
    }
    return {"rules": rules, "balance": balance, "identity_map": c["identity_pairs"]}


NOTES = {
    ("orders", "order_id_conflict"): "every line of a conflicting id is rejected: 2 per plant",
    ("orders", "outlier_amount"): "planted 100-200x median; extra = natural log-normal tail",
    ("orders", "unreadable_date"): "{date_format} mixed-format dates planted, all must read",
    ("orders", "unreadable_float"): "{yen_amount} ¥1,234.00-style amounts planted, all must read",
    ("customers", "test_account"): "test CSV rows + their order lines (orders feed customers)",
    ("customers", "identity_merge"): "one hit per customer row of the merged-away id",
    ("customers", "missing_key"): "order lines without 客户编号 also carry name/phone",
}


# --------------------------------------------------------------------------- measurements


def _label(sql: str) -> str:
    """A short name for one statement of the cleaning stage."""
    s = " ".join(sql.split())
    if m := re.match(r"CREATE OR REPLACE (?:TEMP )?TABLE (\S+)", s):
        return "create " + m[1]
    if s.startswith("INSERT INTO quarantine"):
        found = sorted(set(re.findall(r"'([a-z_]+)' AS \"?rule\"?", s)))
        return "log " + ("/".join(found) if len(found) <= 2 else "key/type issues")
    return s[:48]


def _instrument(steps: dict) -> None:
    """Time every statement the cleaning stage sends to DuckDB (this child process only)."""
    from custseg.io import rebuild

    own = {"temp", "table", "log", "typed", "db", "execute"}

    def caller() -> str:
        f = sys._getframe(2)
        while f and (f.f_globals.get("__name__") != rebuild.__name__ or f.f_code.co_name in own):
            f = f.f_back
        return f.f_code.co_name if f else "?"

    class Timed:
        def __init__(self, db):
            self._db = db

        def execute(self, sql, *args, **kwargs):
            started = time.perf_counter()
            try:
                return self._db.execute(sql, *args, **kwargs)
            finally:
                entry = steps.setdefault((caller(), _label(sql)), [0, 0.0])
                entry[0] += 1
                entry[1] += time.perf_counter() - started

        def __getattr__(self, name):
            return getattr(self._db, name)

    rebuild._Run.db = property(lambda self: Timed(self.con.con))
    normalize = rebuild.normalize_regions

    def timed_regions(pairs):
        started = time.perf_counter()
        try:
            return normalize(pairs)
        finally:
            steps[("_regions", "cpca normalize_regions (Python)")] = [
                1, time.perf_counter() - started]

    rebuild.normalize_regions = timed_regions


def _counts(work: Path) -> dict:
    """What the project holds (outside any timing)."""
    from custseg.pipeline import Project

    with Project.open(work) as project:
        db = project.connect().con
        tables = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("raw_orders", "raw_customers", "orders", "customers", "quarantine",
                            "identity_map")}
        hits = db.execute("SELECT table_name, rule, any_value(action), count(*) FROM quarantine "
                          "GROUP BY ALL ORDER BY ALL").fetchall()
    return {"tables": tables, "hits": [list(h) for h in hits],
            "db_mib": round(sum(p.stat().st_size for p in work.glob("*.duckdb*")) / 2**20, 1)}


def child(kind: str, orders: Path, customers: Path, work: Path) -> dict:
    """One measurement, inside its own process; returns what the parent prints."""
    from custseg import pipeline
    from custseg.io import database
    from custseg.pipeline import Project

    imported = peak_mib()
    extra: dict = {}
    cleaning: list[float] = []
    original = database.clean_database

    def timed_clean(con, settings):
        started = time.perf_counter()
        original(con, settings)
        cleaning.append(time.perf_counter() - started)

    if kind == "clean":
        steps: dict = {}
        _instrument(steps)
        pipeline.clean_database = timed_clean
        started = time.perf_counter()
        project = Project.open(work)
        report = project.clean()
        closing = time.perf_counter()
        project.close()
        seconds = time.perf_counter() - started
        extra = {"clean_database_s": round(cleaning[0], 3),
                 "quality_s": round(closing - started - cleaning[0], 3),
                 "close_s": round(time.perf_counter() - closing, 3),
                 "balance": report["balance"],
                 "quality_rules": report["rules"],
                 "steps": sorted(([c, label, n, round(s, 3)] for (c, label), (n, s)
                                  in steps.items()), key=lambda x: -x[3])}
    else:
        steps = {}
        if kind == "ingest":
            _instrument(steps)
        database.clean_database = timed_clean if kind == "ingest" else (lambda con, s: None)
        started = time.perf_counter()
        project = Project.init(work)
        loads = []
        for path, table in ((customers, "customers"), (orders, "orders")):
            t0 = time.perf_counter()
            [report] = project.ingest([path], table=table)
            loads.append({"table": table, "seconds": round(time.perf_counter() - t0, 3),
                          "rows_read": report.rows_read, "rows_loaded": report.rows_loaded,
                          "rows_rejected": report.rows_rejected, "notes": report.notes,
                          "steps": sorted(([c, label, n, round(s, 3)] for (c, label), (n, s)
                                           in steps.items()), key=lambda x: -x[3])})
            steps.clear()
        project.close()
        seconds = time.perf_counter() - started
        for load, spent in zip(loads, cleaning, strict=False):
            load["cleaning_s"] = round(spent, 3)
        extra = {"loads": loads}
        if kind == "ingest":
            extra["cleaning_s"] = round(sum(cleaning), 3)
    peak = peak_mib()
    return {"seconds": round(seconds, 3), "peak_mib": peak, "import_mib": imported, **extra,
            **_counts(work)}


def measure(kind: str, orders: Path, customers: Path, work: Path, fresh: bool) -> dict:
    if fresh:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"  note: load average {load:.1f} before {kind}; other work shares the CPUs",
              file=sys.stderr)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--child", kind, str(orders),
                           str(customers), str(work)], capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"{kind} failed after {time.perf_counter() - started:.0f} s "
                 f"(exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["loadavg_before"] = round(load, 2)
    result["loadavg_after"] = round(os.getloadavg()[0], 2)
    print(f"  {kind:<11} {result['seconds']:8.2f} s  peak {result['peak_mib']:.0f} MiB",
          file=sys.stderr)
    return result


# --------------------------------------------------------------------------- report


def _row(stage: str, rows: int | None, seconds: float, peak: float | None) -> str:
    n = f"{rows:>12,}" if rows else " " * 12
    rate = f"{rows / seconds:>12,.0f}" if rows and seconds else " " * 12
    mib = f"{peak:>9,.0f}" if peak is not None else " " * 9
    return f"{stage:<44} {n} {seconds:>9.2f} {rate} {mib}"


def report(args, orders: Path, customers: Path, planted: dict, res: dict) -> dict:
    ing, cln, raw = res["ingest"], res["clean"], res["raw ingest"]
    n_orders, n_cust = planted["orders"]["lines"], planted["customers"]["lines"]
    lines = n_orders + n_cust
    print(f"\n{'stage':<44} {'rows':>12} {'seconds':>9} {'rows/s':>12} {'peak MiB':>9}")
    print(_row("ingest, cleaning as by default (a)", lines, ing["seconds"], ing["peak_mib"]))
    for load in ing["loads"]:
        print(_row(f"  ingest {load['table']} file", load["rows_read"], load["seconds"], None)
              + f"  cleaning {load.get('cleaning_s', 0):.2f} s")
    print(_row("  of which cleaning (clean_database in loads)", None, ing["cleaning_s"], None))
    print(_row("raw ingest, cleaning patched out (c)", lines, raw["seconds"], raw["peak_mib"]))
    print(_row("project.clean() alone (b)", lines, cln["seconds"], cln["peak_mib"]))
    print(_row("  of which clean_database", None, cln["clean_database_s"], None))
    print(_row("  of which quality report", None, cln["quality_s"], None))
    print(_row("  of which close (checkpoint)", None, cln["close_s"], None))
    ratios = {
        "clean_over_raw_ingest": round(cln["seconds"] / raw["seconds"], 2),
        "clean_database_over_raw_ingest": round(cln["clean_database_s"] / raw["seconds"], 2),
        "in_load_cleaning_share": round(ing["cleaning_s"] / ing["seconds"], 3),
        "in_load_cleaning_over_rest": round(
            ing["cleaning_s"] / (ing["seconds"] - ing["cleaning_s"]), 2),
        "ingest_over_raw_ingest": round(ing["seconds"] / raw["seconds"], 2),
    }
    print(f"\nratio cleaning / ingestion (b / c, same run): {ratios['clean_over_raw_ingest']:.2f}"
          f"  (clean_database alone: {ratios['clean_database_over_raw_ingest']:.2f})")
    print(f"in the default ingest, cleaning took {ing['cleaning_s']:.1f} of {ing['seconds']:.1f} s"
          f" ({ratios['in_load_cleaning_share']:.0%}; {ratios['in_load_cleaning_over_rest']:.2f}x"
          f" the rest); ingest with cleaning / raw ingest = {ratios['ingest_over_raw_ingest']:.2f}")
    print("raw tables: " + ", ".join(f"{k} {v:,}" for k, v in cln["tables"].items())
          + f"; database {cln['db_mib']:,.0f} MiB")

    exp = expected(planted)
    print(f"\n{'balance':<10} {'':>9} {'rows_in':>12} {'clean':>12} {'quarantined':>12} "
          f"{'merged':>12}")
    balance_ok = True
    for table in ("orders", "customers"):
        found = cln["balance"][table]
        want = exp["balance"][table]
        for who, b in (("found", found), ("planted", want)):
            print(f"{table if who == 'found' else '':<10} {who:>9} "
                  + " ".join(f"{b[k]:>12,}" for k in ("rows_in", "clean", "quarantined",
                                                      "merged")))
        balance_ok &= all(found[k] == want[k] for k in want)
        total = found["clean"] + found["quarantined"] + found["merged"]
        if table == "customers":
            total -= found.get("from_orders", 0)
        if total != found["rows_in"]:
            print(f"{'':<10} WARNING: clean + quarantined + merged = {total:,} != rows_in")
    others = {k: v for k, v in cln["balance"].items()
              if k not in ("orders", "customers") and v["rows_in"]}
    if others:
        print("other tables: " + json.dumps(others))

    print("\nproject.quality() rule hits: " + ", ".join(
        f"{r} {d['count']:,} ({d['action']})" for r, d in cln["quality_rules"].items()))
    hits = {(t, r): n for t, r, _, n in cln["hits"]}
    print(f"\n{'table':<10} {'rule':<20} {'planted':>10} {'found':>10} {'diff':>8}  note")
    comparison = []
    for (table, rule), want in exp["rules"].items():
        found = hits.get((table, rule), 0)
        note = NOTES.get((table, rule), "").format(**planted["orders"])
        comparison.append({"table": table, "rule": rule, "planted": want, "found": found,
                           "diff": found - want, "note": note})
    for (table, rule), found in sorted(hits.items()):
        if (table, rule) not in exp["rules"]:
            comparison.append({"table": table, "rule": rule, "planted": 0, "found": found,
                               "diff": found, "note": "not planted"})
    for c in comparison:
        flag = "" if c["diff"] == 0 else "  <-- differs"
        print(f"{c['table']:<10} {c['rule']:<20} {c['planted']:>10,} {c['found']:>10,} "
              f"{c['diff']:>+8,}  {c['note']}{flag}")
    found_pairs = cln["tables"]["identity_map"]
    print(f"{'customers':<10} {'identity_map rows':<20} {exp['identity_map']:>10,} "
          f"{found_pairs:>10,} {found_pairs - exp['identity_map']:>+8,}  persons under two ids")
    print("silently normalised (no rule, must not be rejected): "
          f"{planted['orders']['date_format']:,} order dates in other formats, "
          f"{planted['orders']['yen_amount']:,} ¥ amounts, "
          f"{planted['customers']['phone_reformatted']:,} +86/dashed phones, "
          f"{planted['customers']['register_date_reformatted']:,} registration dates")

    steps = cln["steps"]
    total = cln["clean_database_s"]
    by_fn: dict[str, float] = {}
    for fn, _, _, s in steps:
        by_fn[fn] = by_fn.get(fn, 0.0) + s
    other = total - sum(by_fn.values())
    print(f"\nclean_database {total:.1f} s by step (SQL statements timed; other = Python, Ibis "
          f"compilation, to_pyarrow): " + ", ".join(
              f"{fn} {s:.1f}" for fn, s in sorted(by_fn.items(), key=lambda x: -x[1]))
          + f", other {other:.1f}")
    in_load = {(fn, label): s for fn, label, _, s in ing["loads"][-1]["steps"]}
    print(f"{'step':<20} {'statement':<40} {'runs':>5} {'clean()':>8} {'share':>6} "
          f"{'in orders load':>15}")
    for fn, label, n, s in steps[:12]:
        print(f"{fn:<20} {label[:40]:<40} {n:>5} {s:>8.2f} {s / total:>6.1%} "
              f"{in_load.get((fn, label), 0.0):>15.2f}")

    import duckdb

    return {
        "rows": args.rows, "dirt": args.dirt,
        "files": {"orders": str(orders), "customers": str(customers)},
        "versions": {"python": sys.version.split()[0], "duckdb": duckdb.__version__},
        "planted": planted,
        "expected": {"rules": [{"table": t, "rule": r, "count": n}
                               for (t, r), n in exp["rules"].items()],
                     "balance": exp["balance"], "identity_map": exp["identity_map"]},
        "results": res, "ratios": ratios, "comparison": comparison,
        "balance_matches_planted": balance_ok,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="order lines")
    parser.add_argument("--dirt", type=float, default=0.01, help="share of dirty order lines")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out",
                        help="cache for the generated files and where clean.json goes")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark project")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, orders, customers, work = args.child
        print(json.dumps(child(kind, Path(orders), Path(customers), Path(work)), default=str))
        return
    out = args.out.resolve()
    t0 = time.perf_counter()
    orders, customers, planted = generate(args.rows, args.dirt, out)
    print(f"data: {orders.name} {orders.stat().st_size / 2**20:.0f} MiB, {customers.name} "
          f"{customers.stat().st_size / 2**20:.0f} MiB (ready in {time.perf_counter() - t0:.1f} s)",
          file=sys.stderr)
    work, work_raw = out / f"clean_work_{args.rows}", out / f"clean_work_raw_{args.rows}"
    res = {"ingest": measure("ingest", orders, customers, work, fresh=True)}
    res["clean"] = measure("clean", orders, customers, work, fresh=False)
    res["raw ingest"] = measure("raw", orders, customers, work_raw, fresh=True)
    shutil.rmtree(work_raw, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    result = report(args, orders, customers, planted, res)
    (out / "clean.json").write_text(json.dumps(result, indent=2, ensure_ascii=False,
                                               default=str) + "\n")
    print(f"\nwrote {out / 'clean.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()
