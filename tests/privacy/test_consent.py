import csv

import ibis

from custseg import schema
from custseg.cleaning.standardize import parse_bool
from custseg.privacy.consent import (
    consent_counts,
    marketing_excluded,
    marketing_objectors,
    profiling_objectors,
    without,
)


def test_yes_no_flags_are_read(con):
    words = ["是", "否", "YES", " no ", "1", "0", "true", "F", "√", "×", "maybe", None]
    t = ibis.memtable({"v": words}, schema={"v": "string"})
    got = con.execute(t.select(b=parse_bool(t.v))).b.tolist()
    expected = [True, False, True, False, True, False, True, False, True, False, None, None]
    assert [None if g is None or g != g else bool(g) for g in got] == expected


def test_consent_headers_map_in_both_languages():
    for header, column in [("拒绝画像", "objects_profiling"), ("Opt-Out", "objects_marketing"),
                           ("退订", "objects_marketing"), ("反对 营销", "objects_marketing"),
                           ("profiling_objection", "objects_profiling")]:
        assert schema.HEADER_DICTIONARY[schema.normalize_header(header)] == column
    assert {c.name: c.type for c in schema.columns("customers")}["objects_marketing"] == "bool"


def test_objector_lists_on_a_table_without_the_columns():
    old = ibis.memtable({"customer_id": ["a"]})
    assert profiling_objectors(old).execute().empty
    assert marketing_objectors(old).execute().empty
    assert consent_counts(old).execute().iloc[0].tolist() == [0, 0]
    rows = ibis.memtable({"customer_id": ["a", "b"], "x": [1, 2]})
    assert without(rows, ibis.memtable({"customer_id": ["b"]})).execute().x.tolist() == [1]


def test_loaded_consent_reaches_customers_and_status(plain):
    con = plain.connect()
    assert sorted(con.execute(marketing_excluded(con)).customer_id) == ["C04", "C05"]
    assert plain.status()["privacy"]["consent"] == {"objects_profiling": 1,
                                                    "objects_marketing": 1}


def test_objectors_are_left_out_of_segments_and_exports(plain, tmp_path):
    result = plain.segment("rfm-rules", lang="en")
    assert result.total == 4
    assert any("1 customers who object to profiling" in n.text("en") for n in result.warnings)
    db = plain.connect().con
    ids = {r[0] for r in db.execute("SELECT customer_id FROM segment_assignments").fetchall()}
    assert ids == {"C01", "C03", "C05", "C09"}
    config = db.execute("SELECT json_extract(config, '$.excluded_objects_profiling') FROM runs"
                        ).fetchone()[0]
    assert int(config) == 1
    path = tmp_path / "members.csv"
    assert plain.export_segments(result.run_id, path) == 3
    with open(path, encoding="utf-8") as fh:
        exported = {r["customer_id"] for r in csv.DictReader(fh)}
    assert exported == {"C01", "C03", "C09"}  # C05 objects to marketing
