"""Printing the recap: an IPP Print-Job with the PDF, received by a real ippeveprinter."""

from __future__ import annotations

import shutil
import time

import pytest

from devices.lab.printer import IppPrinterSim
from devices.printer import printing as device_printing
from provision.errors import PlateauError
from provision.recap.printing import PrintError, parse_target, printer_for, send_pdf


def _spooled(spool, before: set, timeout_s: float = 60.0) -> list:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        new = [p for p in spool.rglob("*") if p.is_file() and p not in before and p.suffix == ".pdf"]
        if new:
            time.sleep(0.2)  # let the server finish writing
            return new
        time.sleep(0.1)
    return []


def test_ippeveprinter_receives_the_pdf_bytes(ippeveprinter) -> None:
    port, spool = ippeveprinter
    before = set(spool.rglob("*"))
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 200 + b"\n%%EOF\n"
    result = send_pdf(f"ipp://127.0.0.1:{port}/ipp/print", pdf, "Recapitulatif jury-a")
    assert result.status.startswith("successful-ok")
    assert result.job_id and result.job_id > 0
    files = _spooled(spool, before)
    assert len(files) == 1 and files[0].read_bytes() == pdf


@pytest.mark.slow  # ~10 s: renders the recap PDF, then a real Print-Job
def test_recap_print_to_sends_the_written_file(example, recap_cli, monkeypatch, ippeveprinter) -> None:
    from provision.recap import readiness as readiness_mod
    from provision.recap.readiness import Readiness

    shutil.rmtree(example / ".plateau", ignore_errors=True)
    monkeypatch.setattr(readiness_mod, "load_readiness", lambda root: Readiness())
    port, spool = ippeveprinter
    before = set(spool.rglob("*"))
    code, out, err = recap_cli("-i", example, "--jury", "jury-b", "--force", "--print-to", f"127.0.0.1:{port}")
    assert code == 0, err
    assert "Envoyé à l'imprimante" in out
    files = _spooled(spool, before)
    written = example / ".plateau" / "recap-jury-b-2026-12-03.pdf"
    assert files and files[0].read_bytes() == written.read_bytes()


def test_a_printer_that_refuses_print_job_is_reported() -> None:
    """The lab simulator only answers Get-Printer-Attributes: Print-Job gets 0x0501."""
    with IppPrinterSim() as sim:
        with pytest.raises(PrintError, match="operation-not-supported"):
            send_pdf(f"ipp://127.0.0.1:{sim.port}/ipp/print", b"%PDF-1.7\n", "x", timeout_s=5)


def test_unreachable_printer_fails_fast_and_says_so(example, recap_cli, monkeypatch) -> None:
    import socket

    from provision.recap import readiness as readiness_mod
    from provision.recap.readiness import Readiness

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nobody listens there
    monkeypatch.setattr(readiness_mod, "load_readiness", lambda root: Readiness())
    monkeypatch.setattr(device_printing, "DEFAULT_TIMEOUT_S", 2.0)
    code, out, err = recap_cli("-i", example, "--jury", "jury-a", "--force", "--print-to", f"127.0.0.1:{port}")
    assert code == 1
    assert "Impression impossible" in err and "imprimer à la main" in err
    assert (example / ".plateau" / "recap-jury-a-2026-12-03.pdf").is_file()  # the file is still there


@pytest.mark.parametrize(
    ("value", "uri"),
    [
        ("192.168.10.30", "ipp://192.168.10.30:631/ipp/print"),
        ("imprimante.local:8631", "ipp://imprimante.local:8631/ipp/print"),
        ("[::1]:631", "ipp://[::1]:631/ipp/print"),
        ("ipps://10.0.0.5/ipp/print", "ipps://10.0.0.5/ipp/print"),
    ],
)
def test_print_to_targets(value, uri) -> None:
    assert parse_target(value) == uri


@pytest.mark.parametrize("value", ["", "hôte mal formé", "h:99999", "h:port"])
def test_bad_print_to_is_a_user_error(value) -> None:
    with pytest.raises(PlateauError) as info:
        parse_target(value)
    assert info.value.problems[0].key == "recap.bad_print_to"


def test_the_jury_room_printer_is_chosen(loaded) -> None:
    assert printer_for(loaded.inventory, ["salle_a"], "jury-a") == "ipp://192.168.10.30/ipp/print"
    with pytest.raises(PlateauError) as info:
        printer_for(loaded.inventory, ["salle_a", "salle_b"], "centre")
    assert info.value.problems[0].key == "recap.print.many_printers"
