"""The recap reads the one readiness result (provision/readiness.py): centre checks in every scope,
the software column from the real software verdicts, blockers named by labels (issue 12, A)."""

from __future__ import annotations

import datetime as dt

from checks.model import Status, Verdict
from provision.readiness import compute
from provision.recap.data import build_recap
from provision.recap.readiness import Readiness
from provision.recap.render import recap_pdf

NOW = dt.datetime(2026, 12, 3, 7, 30, tzinfo=dt.UTC)


def _ok_sweep(loaded, attested, *extra: Verdict) -> Readiness:
    verdicts = [
        Verdict(
            device=d.name, check="reachable", status=Status.OK, key="check.reachable.ok", room=d.room, measured_at=NOW
        )
        for d in loaded.inventory.devices
    ]
    return Readiness.of([*verdicts, *attested(loaded, NOW), *extra], NOW - dt.timedelta(minutes=10))


def _internet_down() -> Verdict:
    return Verdict(
        device="centre:internet",
        check="internet",
        status=Status.FAIL,
        key="check.internet.down",
        params={"failed": ["https://www.service-public.fr/"]},
        room=None,
        measured_at=NOW,
        probe="https",
    )


def test_a_jury_recap_is_blocked_by_the_centres_internet(loaded, attested, pdf) -> None:
    sweep = _ok_sweep(loaded, attested, _internet_down())
    for jury in ("jury-a", "jury-b", None):
        recap = build_recap(loaded, jury, sweep, now=NOW)
        assert not recap.ready, jury  # before: « Aucun point bloquant » for each jury
        [blocker] = recap.readiness.blockers
        assert blocker.key == "check.internet.down" and blocker.check == "internet"
        text = " ".join(pdf.text(recap_pdf(recap).data).split())
        assert "Aucun point bloquant" not in text and "box" in text
    assert build_recap(loaded, "jury-a", _ok_sweep(loaded, attested), now=NOW).ready


def test_the_software_column_follows_a_green_check(loaded, attested) -> None:
    green = [
        Verdict(
            device="a-tab-android-01",
            check="software",
            status=Status.OK,
            key="check.software.ok",
            params={"count": 1},
            room="salle_a",
            measured_at=NOW,
            probe="adb",
        ),
        *(
            Verdict(
                device=host,
                check="software",
                status=Status.OK,
                key="check.software.title_present",
                params={"title_id": tid, "title": tid, "via": "dpkg"},
                room="salle_a",
                measured_at=NOW,
            )
            for host, tid in (("a-pc-linux-01", "gimp"), ("a-pc-linux-01", "scratch"))
        ),
    ]
    recap = build_recap(loaded, "jury-a", _ok_sweep(loaded, attested, *green), now=NOW)
    rows = {(c.id, s.name): s for j in recap.juries for c in j.candidates for s in c.software}
    assert rows[("C01", "Canva")].status is Status.OK  # before: « non vérifié » whatever the check said
    assert rows[("C01", "Canva")].status_label == "prêt"
    assert rows[("C02", "GIMP")].status is Status.OK
    missing = Verdict(
        device="a-tab-android-01",
        check="software",
        status=Status.FAIL,
        key="check.software.missing",
        params={"titles": ["Canva"]},
        room="salle_a",
        measured_at=NOW,
        probe="adb",
    )
    recap = build_recap(loaded, "jury-a", _ok_sweep(loaded, attested, missing), now=NOW)
    rows = {(c.id, s.name): s for j in recap.juries for c in j.candidates for s in c.software}
    assert rows[("C01", "Canva")].status is Status.FAIL


def test_blockers_are_named_by_labels_never_by_ids(loaded, pdf) -> None:
    wifi = Verdict(
        device="a-tab-android-01",
        check="wifi_joined",
        status=Status.FAIL,
        key="check.wifi_joined.other",
        params={"expected": "Examen-Salle-A", "found": "Livebox-1234"},
        room="salle_a",
        measured_at=NOW,
    )
    sweep = Readiness.of([wifi], NOW - dt.timedelta(minutes=10))
    recap = build_recap(loaded, "jury-a", sweep, now=NOW, forced=True)
    text = pdf.text(recap_pdf(recap).data)
    for internal in ("salle:salle_a", "attestation:", "wifi_joined", "(attestation"):
        assert internal not in text, internal
    labels = {b.device_label for b in recap.readiness.blockers}
    tablet = next(d for d in loaded.inventory.devices if d.name == "a-tab-android-01")
    assert tablet.display() in labels
    assert any(b.check == "Wi-Fi rejoint" for b in recap.readiness.blockers)
    assert any(label.startswith("Sur place (") for label in labels)  # the room's on-site items


def test_one_name_per_state_in_the_recap(loaded, pdf) -> None:
    sweep = Readiness.of([], NOW - dt.timedelta(minutes=10))  # a sweep that measured nothing
    text = pdf.text(recap_pdf(build_recap(loaded, "jury-a", sweep, now=NOW, forced=True)).data)
    for other in ("sans réponse", "non contrôlé"):
        assert other not in text, other
    assert "inconnu" in text


def test_every_scope_holds_the_centre_checks(loaded) -> None:
    ready = compute(loaded, [_internet_down()], now=NOW)
    for scope in [ready.centre, *ready.rooms.values(), *ready.juries.values()]:
        assert any(b.device == "centre:internet" for b in scope.blockers), scope.id
        assert not scope.ready


def test_an_old_titles_green_never_survives_a_newer_failure(loaded) -> None:
    from provision.readiness import newest

    old = Verdict(
        device="a-pc-linux-01",
        check="software",
        status=Status.OK,
        key="check.software.title_present",
        params={"title_id": "gimp", "title": "GIMP", "via": "dpkg"},
        room="salle_a",
        measured_at=NOW - dt.timedelta(minutes=30),
    )
    failed = Verdict(
        device="a-pc-linux-01",
        check="software",
        status=Status.UNKNOWN,
        key="check.probe.unreachable",
        room="salle_a",
        measured_at=NOW,
    )
    assert newest([old, failed]) == [failed]
    ready = compute(loaded, [old, failed], now=NOW)
    assert ready.software_status("a-pc-linux-01", "gimp") is Status.UNKNOWN
    assert ready.devices["a-pc-linux-01"].status is Status.UNKNOWN


def test_the_check_table_and_json_name_devices_and_checks_by_label(loaded) -> None:
    import io
    import json

    from rich.console import Console

    from provision.report import as_json, print_table, readiness_of

    wifi = Verdict(
        device="a-tab-android-01",
        check="wifi_joined",
        status=Status.FAIL,
        key="check.wifi_joined.other",
        params={"expected": "Examen-Salle-A", "found": "Livebox-1234"},
        room="salle_a",
        measured_at=NOW,
    )
    ready = readiness_of(loaded, [wifi, _internet_down()], now=NOW)
    buffer = io.StringIO()
    print_table(
        Console(file=buffer, width=200, color_system=None),
        [wifi, _internet_down()],
        {r.id: r.label for r in loaded.inventory.rooms.values()},
        title="t",
        readiness=ready,
    )
    table = buffer.getvalue()
    label = next(d for d in loaded.inventory.devices if d.name == "a-tab-android-01").display()
    assert f"{label} — Wi-Fi rejoint : Connectée à « Livebox-1234 »" in table
    assert "internet : Pas d'accès internet" in table
    data = json.loads(as_json([wifi], ready=False, started_at=NOW, finished_at=NOW, readiness=ready))
    devices = {d["name"]: d for d in data["readiness"]["devices"]}
    assert devices["a-tab-android-01"]["status"] == "fail"
    assert devices["a-tab-android-01"]["blockers"][0]["line"].startswith(f"{label} — Wi-Fi rejoint : ")
    assert not data["readiness"]["juries"][0]["ready"]  # the centre's internet blocks every jury
