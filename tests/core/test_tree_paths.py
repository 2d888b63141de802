from __future__ import annotations

from grassroots.core.scoping import prefixes, roll_up, with_ancestors


def test_prefixes_run_from_the_root() -> None:
    assert prefixes("000100020003") == ["0001", "00010002", "000100020003"]
    assert prefixes("") == []


def test_with_ancestors_keeps_the_chain_to_the_root() -> None:
    assert with_ancestors(["000100020003", "00010005"]) == {
        "0001",
        "00010002",
        "000100020003",
        "00010005",
    }


def test_roll_up_adds_counts_to_every_node_above() -> None:
    totals = roll_up([("000100020003", 2), ("00010002", 1), ("00010005", 4)])
    assert totals == {"0001": 7, "00010002": 3, "000100020003": 2, "00010005": 4}
