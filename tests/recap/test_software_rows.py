"""The candidates' software column of the recap: a title asked on two platforms gets one row per
platform, each listing only that platform's hosts (a title missing on the Mac never turns the
Linux row red)."""

from __future__ import annotations

from pathlib import Path

from provision.context import load_all
from provision.recap.data import build_recap


def test_a_title_asked_on_two_platforms_lists_each_platforms_hosts(example: Path) -> None:
    session = example / "session.yml"
    text = session.read_text(encoding="utf-8")
    session.write_text(text.replace('      linux: [GIMP, Scratch]', '      linux: [GIMP, Scratch, "Arduino IDE"]', 1),
                       encoding="utf-8")  # fmt: skip
    loaded = load_all(example)
    recap = build_recap(loaded, "jury-a")
    rows = [
        r for j in recap.juries for c in j.candidates if c.id == "C02" for r in c.software if r.name == "Arduino IDE"
    ]
    assert len(rows) == 2
    families = {d.name: d.family for d in loaded.inventory.devices}
    for row in rows:
        assert row.hosts, row
        assert len({families[h] for h in row.hosts}) == 1, row  # one platform per row
    assert {families[r.hosts[0]] for r in rows} == {"windows", "linux"}
