from custseg.io import audit


def test_record_and_filter_newest_first(con):
    audit.record(con, user="ana", action="view_personal", target="customer C1")
    audit.record(con, user="bob", action="export", target="segment S1", detail="masked csv")
    audit.record(con, user="ana", action="export", target="segment S2")
    everything = audit.entries(con)
    assert [e["target"] for e in everything] == ["segment S2", "segment S1", "customer C1"]
    assert [e["target"] for e in audit.entries(con, user="ana")] == ["segment S2", "customer C1"]
    assert [e["user_name"] for e in audit.entries(con, action="export", limit=1)] == ["ana"]
