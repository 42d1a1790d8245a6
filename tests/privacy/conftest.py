"""Tiny customer files with known answers, and projects loaded with them, plain or encrypted.

Planted facts: C01 and C02 share a phone written two ways (C02 merges into C01, registered
first); C03 and C07 share an e-mail in different case (C07 merges into C03); C04 has a
landline and objects to profiling; C05's phone and e-mail are unreadable and C05 objects to
marketing; C06 is a test account; one ragged line of C08 is rejected when read.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from custseg.io import keys
from custseg.pipeline import Project

CUSTOMERS = """客户编号,姓名,手机号,邮箱,身份证号,地址,注册日期,拒绝画像,退订
C01,张三,138 1234 5678,zhang@example.com,110101199003074514,深圳南山科技园1号,2023-01-05,否,否
C02,张三丰,+86-138-1234-5678,zsf@example.com,,,2023-03-01,,
C03,李四,13900001111,LI.SI@Example.com,440305198512121233,,2023-01-10,,
C04,王五,0755-1234567,wangwu@example.com,,北京市朝阳区建国路88号,2023-02-01,是,
C05,赵六,abc,zhao liu at example,,,2023-02-02,,是
C06,测试账号,13800000000,qa@example.com,,,2023-02-03,,
C07,钱七,13700002222,li.si@example.com,320102197701010012,,2023-04-01,,
C08,孙八,13600003333,sun@example.com,,,2023-04-02,,,extra,fields
"""
ORDERS = """订单号,客户编号,下单时间,实付金额
O1,C01,2024-01-05,120.00
O2,C02,2024-02-10,80.00
O3,C03,2024-03-01,300.00
O4,C04,2024-03-15,50.00
O5,C05,2024-04-01,75.50
O6,C06,2024-04-02,10.00
O7,C07,2024-05-20,200.00
O8,C01,2024-06-01,60.00
O9,C09,2024-06-10,40.00
"""
PERSONAL = {"C01": ["张三", "13812345678", "zhang@example.com", "110101199003074514"],
            "C02": ["张三丰", "zsf@example.com"],
            "C03": ["李四", "13900001111", "440305198512121233"]}


@pytest.fixture(autouse=True)
def _no_key_in_env(monkeypatch):
    """Tests decide about keys themselves."""
    monkeypatch.delenv(keys.ENV_KEY, raising=False)
    monkeypatch.delenv(keys.ENV_OLD_KEY, raising=False)


def write_files(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    customers, orders = folder / "customers.csv", folder / "orders.csv"
    customers.write_text(CUSTOMERS, encoding="utf-8")
    orders.write_text(ORDERS, encoding="utf-8")
    return customers, orders


def load(project: Project, folder: Path) -> None:
    customers, orders = write_files(folder)
    project.ingest([customers], table="customers")
    project.ingest([orders], table="orders")


def make_project(folder: Path, *, encrypted: bool) -> Project:
    project = Project.init(folder / "proj")
    if encrypted:
        project.init_key()
    load(project, folder / "files")
    return project


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> dict[str, Path]:
    """A plain and an encrypted project loaded with the files, built once (closed)."""
    folder = tmp_path_factory.mktemp("privacy")
    out = {}
    for mode in ("plain", "encrypted"):
        project = make_project(folder / mode, encrypted=mode == "encrypted")
        project.close()
        out[mode] = project.directory
    return out


def copy_of(built: dict[str, Path], mode: str, tmp_path: Path) -> Project:
    target = tmp_path / mode
    shutil.copytree(built[mode], target)
    return Project.open(target)


@pytest.fixture
def plain(built, tmp_path):
    with copy_of(built, "plain", tmp_path) as p:
        yield p


@pytest.fixture
def encrypted(built, tmp_path):
    with copy_of(built, "encrypted", tmp_path) as p:
        yield p


def scan(project: Project, needles) -> list[tuple[str, str, str]]:
    """Every (table, column, needle) where a text column of any table contains a needle."""
    db = project.connect().con
    cols = db.execute("SELECT c.table_name, c.column_name FROM duckdb_columns() c JOIN "
                      "duckdb_tables() t USING (table_name) WHERE c.data_type = 'VARCHAR' "
                      "AND NOT t.temporary").fetchall()
    hits = []
    for table, column in cols:
        for n in needles:
            if db.execute(f'SELECT count(*) FROM "{table}" WHERE contains("{column}", ?)',
                          [n]).fetchone()[0]:
                hits.append((table, column, n))
    return hits


def rows(project: Project, sql: str, params=()) -> list[tuple]:
    return project.connect().con.execute(sql, list(params)).fetchall()
