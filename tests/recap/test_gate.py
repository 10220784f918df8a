"""The readiness gate: refuse without a recent clean sweep, --force marks the PDF "NON PRÊT"; files 0600."""

from __future__ import annotations

import datetime as dt
import shutil
import stat

import pytest

from checks.model import Status, Verdict
from provision.recap import readiness as readiness_mod
from provision.recap.readiness import Readiness, assess

NOW = dt.datetime(2026, 12, 3, 7, 30, tzinfo=dt.UTC)
DEVICES = {"a-pc": "PC A", "a-tab": "Tablette A", "b-pc": "PC B"}


def verdict(device: str, status: Status, *, room: str | None = None, blocking: bool = True, check: str = "battery"):
    return Verdict(
        device=device, check=check, status=status, key=f"check.{check}.x", room=room, blocking=blocking, measured_at=NOW
    )


def test_no_sweep_is_a_blocker() -> None:
    result = assess(Readiness(), DEVICES, rooms=None, now=NOW)
    assert not result.ready
    assert [b.key for b in result.blockers] == ["recap.gate.no_sweep"]
    assert "plateau check" in result.blockers[0].message


def test_a_sweep_older_than_the_limit_is_a_blocker() -> None:
    old = Readiness.of([verdict("a-pc", Status.OK)], NOW - dt.timedelta(hours=13))
    assert [b.key for b in assess(old, DEVICES, rooms=None, now=NOW).blockers] == ["recap.gate.stale"]
    assert assess(old, DEVICES, rooms=None, now=NOW, max_age_h=14).ready


@pytest.mark.parametrize(
    ("status", "blocking", "ready"),
    [
        (Status.OK, True, True),
        (Status.WARN, True, True),
        (Status.FAIL, True, False),
        (Status.UNKNOWN, True, False),  # no false green: a device that did not answer is not ready
        (Status.FAIL, False, True),  # a non-blocking check never stops the recap
    ],
)
def test_blocking_verdicts_must_be_ok_or_warn(status, blocking, ready) -> None:
    sweep = Readiness.of([verdict("a-tab", status, blocking=blocking)], NOW - dt.timedelta(hours=1))
    result = assess(sweep, DEVICES, rooms=None, now=NOW)
    assert result.ready is ready
    if not ready:
        assert result.blockers[0].device_label == "Tablette A"


def test_a_jury_is_not_blocked_by_another_room() -> None:
    sweep = Readiness.of(
        [verdict("b-pc", Status.FAIL, room="salle_b"), verdict("a-pc", Status.OK, room="salle_a")],
        NOW - dt.timedelta(hours=1),
    )
    assert assess(sweep, {"a-pc": "PC A"}, rooms={"salle_a"}, now=NOW).ready
    assert not assess(sweep, DEVICES, rooms=None, now=NOW).ready


def test_unmeasured_devices_are_counted_not_green() -> None:
    sweep = Readiness.of([verdict("a-pc", Status.OK)], NOW - dt.timedelta(hours=1))
    result = assess(sweep, DEVICES, rooms=None, now=NOW)
    assert result.count(Status.OK) == 1 and result.unmeasured == 2
    assert {d.name: d.status for d in result.devices if not d.measured} == {
        "a-tab": Status.UNKNOWN,
        "b-pc": Status.UNKNOWN,
    }


def test_load_readiness_of_a_centre_never_swept(tmp_path) -> None:
    assert readiness_mod.load_readiness(tmp_path) == Readiness()


# --------------------------------------------------------------------------- through the command


@pytest.fixture
def centre(example):
    """A copy of the example inventory without any state (no sweep recorded)."""
    shutil.rmtree(example / ".plateau", ignore_errors=True)
    return example


def _sweep(monkeypatch, readiness: Readiness) -> None:
    monkeypatch.setattr(readiness_mod, "load_readiness", lambda root: readiness)


def test_recap_refuses_without_a_sweep(centre, recap_cli, monkeypatch, vault_secrets) -> None:
    _sweep(monkeypatch, Readiness())
    code, out, err = recap_cli("-i", centre, "--jury", "jury-a")
    assert code == 1
    assert "Aucun contrôle du plateau enregistré" in err and "--force" in err
    assert not list(centre.glob(".plateau/recap-*.pdf"))
    assert "Traceback" not in out + err


def test_force_writes_a_not_ready_recap_0600_marked_on_page_one(
    centre, recap_cli, monkeypatch, pdf, vault_secrets
) -> None:
    now = dt.datetime.now(dt.UTC)
    failing = Verdict(
        device="a-tab-android-01",
        check="battery",
        status=Status.FAIL,
        key="check.battery.low",
        params={"level_pct": 12},
        room="salle_a",
        measured_at=now,
    )
    _sweep(monkeypatch, Readiness.of([failing], now - dt.timedelta(minutes=5)))
    code, out, err = recap_cli("-i", centre, "--jury", "jury-a", "--force")
    assert code == 0, err
    path = centre / ".plateau" / "recap-jury-a-2026-12-03.pdf"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert "recap-jury-a-2026-12-03.pdf" in out and "0600" in out
    assert "Tablette Samsung salle A" in err  # the blocker, named by its label
    pages = pdf.text(path.read_bytes()).split("\f")
    # page 1: the « NON PRÊT » banner with the jury's access first (Wi-Fi, logins); the blockers follow
    assert "NON PRÊT" in pages[0] and "Wi-Fi de la salle" in pages[0] and "Tablettes" in pages[0]
    flat = " ".join("\n".join(pages).split())
    blockers = flat[flat.index("malgré") :]  # the blocker list, after the access: grouped by room, then action
    assert "Salle A — jury A (rez-de-chaussée) • Batterie à 12" in blockers
    assert "— Tablette Samsung salle A (batterie)" in blockers
    for secret in vault_secrets(centre):  # the terminal never shows a secret
        assert secret not in out + err


def test_a_clean_recent_sweep_gives_a_ready_recap(
    centre, recap_cli, monkeypatch, pdf, loaded, tmp_path, attested
) -> None:
    now = dt.datetime.now(dt.UTC)
    verdicts = [
        Verdict(
            device=d.name, check="reachable", status=Status.OK, key="check.reachable.ok", room=d.room, measured_at=now
        )
        for d in loaded.inventory.devices
    ]
    _sweep(monkeypatch, Readiness.of([*verdicts, *attested(loaded, now)], now - dt.timedelta(hours=2)))
    target = tmp_path / "out" / "recap.pdf"
    target.parent.mkdir()
    target.write_bytes(b"old")
    target.chmod(0o644)  # an older world-readable file is replaced by a 0600 one
    code, out, err = recap_cli("-i", centre, "-o", target)
    assert code == 0, err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    text = pdf.text(target.read_bytes())
    assert "NON PRÊT" not in text and "Aucun point bloquant" in text
    code, _, err = recap_cli("-i", centre, "-o", target, "--max-age-h", "1")
    assert code == 1 and "plus de 1 h" in err


def test_poster_has_one_page_per_room_and_no_other_secret(centre, recap_cli, pdf, host_secrets) -> None:
    code, out, err = recap_cli("-i", centre, "--poster")
    assert code == 0, err
    path = centre / ".plateau" / "wifi-poster-2026-12-03.pdf"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = path.read_bytes()
    assert pdf.pages(data) == 2
    text = pdf.text(data)
    compact = "".join(text.split())
    for host, secrets in host_secrets.items():
        for field, value in secrets.items():
            if field == "wifi_key":
                assert pdf.grouped(value).search(text)
            else:
                assert "".join(value.split()) not in compact, f"{host}.{field} on the poster"


def test_unknown_jury_is_a_user_error(centre, recap_cli) -> None:
    from provision.errors import PlateauError

    with pytest.raises(PlateauError) as info:
        recap_cli("-i", centre, "--jury", "jury-z")
    assert info.value.problems[0].key == "recap.unknown_jury"
