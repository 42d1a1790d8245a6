"""Cost of encrypting personal data at rest: the same loads with and without a key.

    python bench/bench_privacy.py [--customers 100000] [--retail 2000] [--out bench/out]

1. Data: the retail demo (`custseg demo`'s generated files, ``--retail`` customers, all six
   tables) and a customers file of ``--customers`` generated people (name, phone, e-mail, ID
   number, address; 2% share a phone with another row, so identity merge has work) with one
   order each.
2. Each measurement runs in its own subprocess on a fresh project: ``plain`` (no key) and
   ``encrypted`` (`custseg keys init` first). Seconds are the loads (`Project.ingest_sources`
   or two `Project.ingest` calls, cleaning included); ``protect_s`` is the part spent
   preparing and encrypting customer rows (`custseg.io.keys.protect_rows`), ``encrypt_s`` the
   AES-GCM calls alone inside it. The encrypted run then times `Project.rotate_key` and
   `Project.erase` of one customer.
3. Prints a table and writes --out/privacy.json.

The machine's load shows in every figure; compare plain and encrypted of the same run.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path


def _id_number(rng: random.Random) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    body = f"{rng.choice(['110101', '440305', '320102'])}{rng.randint(1950, 2005)}" \
           f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def generate(folder: Path, n: int, seed: int = 7) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    customers, orders = folder / f"customers_{n}.csv", folder / f"orders_{n}.csv"
    if customers.exists() and orders.exists():
        return customers, orders
    rng = random.Random(seed)
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
    phones = [f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}" for _ in range(n)]
    with open(customers, "w", encoding="utf-8") as fh, open(orders, "w", encoding="utf-8") as fo:
        fh.write("客户编号,姓名,手机号,邮箱,身份证号,地址,注册日期\n")
        fo.write("订单号,客户编号,下单时间,实付金额\n")
        for i in range(n):
            phone = phones[i - 1] if i and rng.random() < 0.02 else phones[i]
            name = rng.choice(surnames) + "".join(rng.choices(given, k=rng.choice((1, 2))))
            fh.write(f"C{i:07d},{name},{phone[:3]} {phone[3:7]} {phone[7:]},u{i}@example.com,"
                     f"{_id_number(rng)},广东省深圳市南山区科技园{rng.randint(1, 999)}号,"
                     f"2023-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}\n")
            fo.write(f"O{i:07d},C{i:07d},2024-{rng.randint(1, 12):02d}-"
                     f"{rng.randint(1, 28):02d},{rng.randint(10, 5000)}.00\n")
    return customers, orders


CHILD = r"""
import json, sys, time, warnings
from pathlib import Path
warnings.simplefilter("ignore")
from custseg.io import keys
from custseg.pipeline import Project
from custseg.privacy import encryption

mode, kind, folder, data = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4:]
timed = {"protect_s": 0.0, "encrypt_s": 0.0}

def wrap(owner, name, key):
    original = getattr(owner, name)
    def timed_call(*a, **k):
        t = time.perf_counter()
        try:
            return original(*a, **k)
        finally:
            timed[key] += time.perf_counter() - t
    setattr(owner, name, timed_call)

wrap(keys, "protect_rows", "protect_s")
wrap(encryption.Keyring, "encrypt_many", "encrypt_s")
if kind == "retail":
    from custseg.demo import create_demo
    project = create_demo("retail", folder, customers=int(data[0]))
else:
    project = Project.init(folder)
out = {"mode": mode, "data": kind}
with project:
    if mode == "encrypted":
        project.init_key()
    t = time.perf_counter()
    if kind == "retail":
        project.ingest_sources()
    else:
        project.ingest([data[0]], table="customers")
        project.ingest([data[1]], table="orders")
    out["load_s"] = round(time.perf_counter() - t, 2)
    out |= {k: round(v, 2) for k, v in timed.items()}
    db = project.connect().con
    out["customers"] = db.execute("SELECT count(*) FROM customers").fetchone()[0]
    out["merged"] = db.execute("SELECT count(*) FROM identity_map").fetchone()[0]
    out["db_mib"] = round(Path(project.database_path).stat().st_size / 2**20, 1)
    if mode == "encrypted":
        t = time.perf_counter()
        values = sum(project.rotate_key()["values"].values())
        out["rotate_s"], out["rotated_values"] = round(time.perf_counter() - t, 2), values
    victim = db.execute("SELECT customer_id FROM customers ORDER BY customer_id LIMIT 1 "
                        "OFFSET 10").fetchone()[0]
    t = time.perf_counter()
    project.erase(victim, by="bench")
    out["erase_s"] = round(time.perf_counter() - t, 2)
print(json.dumps(out))
"""


def measure(mode: str, kind: str, folder: Path, data: list[str]) -> dict:
    run = subprocess.run([sys.executable, "-c", CHILD, mode, kind, str(folder), *data],
                         capture_output=True, text=True, check=False)
    if run.returncode:
        raise SystemExit(run.stderr)
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--retail", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    args = parser.parse_args()
    work = args.out / "privacy"
    import shutil

    shutil.rmtree(work / "projects", ignore_errors=True)
    customers, orders = generate(work, args.customers)
    results = []
    for kind, data in (("retail", [str(args.retail)]),
                       ("generated", [str(customers), str(orders)])):
        for mode in ("plain", "encrypted"):
            results.append(measure(mode, kind, work / "projects" / f"{kind}_{mode}", data))
            print(results[-1], flush=True)
    print(f"\n{'data':<10} {'mode':<10} {'customers':>9} {'load s':>8} {'protect s':>9} "
          f"{'encrypt s':>9} {'rotate s':>8} {'erase s':>8} {'MiB':>6}")
    for r in results:
        print(f"{r['data']:<10} {r['mode']:<10} {r['customers']:>9,} {r['load_s']:>8} "
              f"{r['protect_s']:>9} {r['encrypt_s']:>9} {r.get('rotate_s', '-'):>8} "
              f"{r['erase_s']:>8} {r['db_mib']:>6}")
    (args.out / "privacy.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
