"""prtMarkerSuppliesLevel above prtMarkerSuppliesMaxCapacity (RFC 3805) is no percentage: a device
saying 250 of 100 contradicts itself, and clamping it to 100 % turned it into a full toner."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devices.printer import ipp
from devices.printer.ipp import Attribute
from devices.printer.parse import parse_ipp_response, parse_snmp_values

NOW = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize(("level", "maximum", "pct"), [
    (250, 100, None), (101, 100, None), (100, 100, 100), (0, 100, 0), (1060, 5300, 20),
    (40, -1, None), (40, -2, None), (40, 0, None), (-3, 100, None), (-2, 100, None),
])  # fmt: skip
def test_snmp_level_over_capacity_is_not_a_percentage(level: int, maximum: int, pct: int | None) -> None:
    values = {"1.3.6.1.2.1.43.11.1.1.6.1.1": b"Black Toner", "1.3.6.1.2.1.43.11.1.1.5.1.1": 3,
              "1.3.6.1.2.1.43.11.1.1.8.1.1": maximum, "1.3.6.1.2.1.43.11.1.1.9.1.1": level}  # fmt: skip
    (supply,) = parse_snmp_values(values, measured_at=NOW).supplies
    assert (supply.level_pct, supply.raw_level, supply.max_capacity) == (pct, level, maximum)


def test_printer_supply_level_over_maxcapacity_is_not_a_percentage() -> None:
    operation = [Attribute(name="attributes-charset", tag=ipp.CHARSET, values=("utf-8",))]
    printer = [Attribute(name="printer-state", tag=ipp.ENUM, values=(3,)),
               Attribute(name="printer-supply", tag=ipp.OCTET_STRING, values=(
                   b"index=1;type=toner;maxcapacity=100;level=250;colorantname=black;",
                   b"index=2;type=toner;maxcapacity=100;level=100;colorantname=cyan;"))]  # fmt: skip
    body = ipp.encode_message(
        code=0, request_id=1, groups=[(ipp.OPERATION_GROUP, operation), (ipp.PRINTER_GROUP, printer)]
    )
    first, second = parse_ipp_response(body, measured_at=NOW).supplies
    assert (first.level_pct, first.raw_level) == (None, 250)
    assert second.level_pct == 100
