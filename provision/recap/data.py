"""What the recap says, as plain data: built from :class:`provision.context.Loaded`.

:func:`build_recap` gives one jury's recap (only its room's devices and secrets) or the
whole centre's; :func:`build_posters` gives one Wi-Fi poster per room. Rendering is
elsewhere (render.py); these structures hold secrets as :class:`Secret` so that a
``repr`` in a log or a traceback never shows one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from checks.model import Status, Verdict, utcnow, worst
from provision.context import Loaded
from provision.errors import PlateauError, Problem
from provision.inventory import Device
from provision.inventory import models as m
from provision.recap.readiness import DEFAULT_MAX_AGE_H, Assessment, Readiness, assess

FAMILY_LABELS = {
    "windows": "Windows", "linux": "Linux", "macos": "macOS", "android": "Tablette Android",
    "ipad": "iPad", "printer": "Imprimante", "scanner": "Scanner", "microcontroller": "Microcontrôleur",
    "robot": "Robot", "printer_3d": "Imprimante 3D", "access_point": "Borne Wi-Fi",
    "projector": "Vidéoprojecteur",
}
ROLE_LABELS = {"candidate": "poste candidat", "jury": "poste jury", "spare": "poste de secours"}
BOARD_LABELS = {"microbit": "BBC micro:bit", "arduino_uno": "Arduino Uno", "arduino_mega": "Arduino Mega",
                "pico": "Raspberry Pi Pico", "esp32": "ESP32", "other": "carte"}
ROBOT_LABELS = {"thymio": "Thymio", "beebot": "Bee-Bot", "bluebot": "Blue-Bot", "mbot": "mBot",
                "spike": "LEGO Spike", "ozobot": "Ozobot", "cubetto": "Cubetto", "other": "robot"}
STATUS_LABELS = {Status.OK: "prêt", Status.WARN: "prêt, à surveiller", Status.FAIL: "NON PRÊT",
                 Status.UNKNOWN: "non vérifié"}


class Secret:
    """A secret value for the printed page only: masked in repr and str."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)


def secret_of(device: Device, field_name: str) -> Secret | None:
    value = getattr(device, field_name, None)
    if value is None:
        return None
    text = value.get_secret_value()
    return Secret(text) if text else None


@dataclass(frozen=True, slots=True)
class Account:
    """A login and its secret; ``secret`` None = not stored by the centre."""

    what: str
    login: str | None
    secret: Secret | None


@dataclass(frozen=True, slots=True)
class DeviceRow:
    name: str
    label: str
    kind: str
    address: str | None = None
    model: str | None = None  # brand and model
    access: str | None = None  # how to reach it: IPP URI, eSCL URL, web address
    details: tuple[str, ...] = ()
    accounts: tuple[Account, ...] = ()


@dataclass(frozen=True, slots=True)
class Wifi:
    room_label: str
    ssid: str
    security: str
    key: Secret | None
    access_point: DeviceRow

    @property
    def open(self) -> bool:
        return self.security == "open" or self.key is None


@dataclass(frozen=True, slots=True)
class RoomRecap:
    id: str
    label: str
    wifi: tuple[Wifi, ...]
    computers: tuple[DeviceRow, ...]
    tablets: tuple[DeviceRow, ...]
    peripherals: tuple[DeviceRow, ...]
    others: tuple[DeviceRow, ...]


@dataclass(frozen=True, slots=True)
class SoftwareRow:
    name: str
    kind: str
    hosts: tuple[str, ...]
    status: Status
    status_label: str


@dataclass(frozen=True, slots=True)
class CandidateRow:
    order: int
    time: str | None
    id: str
    name: str | None
    own_laptop: bool
    accessibility: tuple[str, ...]
    software: tuple[SoftwareRow, ...]


@dataclass(frozen=True, slots=True)
class JuryRecap:
    id: str
    label: str
    room_label: str
    candidates: tuple[CandidateRow, ...]


@dataclass(frozen=True, slots=True)
class Recap:
    scope: str  # the jury id, or "centre"
    centre: str
    session_date: dt.date
    referentiel: str
    generated_at: dt.datetime
    juries: tuple[JuryRecap, ...]
    rooms: tuple[RoomRecap, ...]
    readiness: Assessment
    forced: bool = False

    @property
    def ready(self) -> bool:
        return self.readiness.ready


@dataclass(frozen=True, slots=True)
class Poster:
    centre: str
    session_date: dt.date
    wifi: tuple[Wifi, ...] = field(default=())


# --------------------------------------------------------------------------- building


def scope_rooms(loaded: Loaded, jury: str | None) -> list[str]:
    """Room ids of the scope; raise a user error for an unknown jury."""
    if jury is None:
        return list(loaded.inventory.rooms)
    juries = {j.id: j for j in loaded.session.juries}
    if jury not in juries:
        raise PlateauError(Problem(key="recap.unknown_jury", file=loaded.session.file, field="juries",
                                   params={"jury": jury, "juries": sorted(juries)}))
    return [juries[jury].room]


def build_recap(
    loaded: Loaded,
    jury: str | None = None,
    readiness: Readiness | None = None,
    *,
    now: dt.datetime | None = None,
    max_age_h: float = DEFAULT_MAX_AGE_H,
    forced: bool = False,
) -> Recap:
    """The recap of one jury (its room only) or, with ``jury`` None, of the whole centre."""
    now = now or utcnow()
    readiness = readiness or Readiness()
    inventory, session = loaded.inventory, loaded.session
    room_ids = scope_rooms(loaded, jury)
    rooms = tuple(_room(loaded, rid) for rid in room_ids)
    labels = {d.name: d.display() for rid in room_ids for d in inventory.in_room(rid)}
    assessment = assess(readiness, labels, rooms=None if jury is None else set(room_ids), now=now,
                        max_age_h=max_age_h)
    juries = tuple(
        _jury(loaded, j.id, readiness.verdicts)
        for j in session.juries
        if (jury is None or j.id == jury)
    )
    return Recap(
        scope=jury or "centre",
        centre=session.centre or inventory.centre,
        session_date=session.date,
        referentiel=loaded.plan.referentiel.name,
        generated_at=now,
        juries=juries,
        rooms=rooms,
        readiness=assessment,
        forced=forced,
    )


def build_posters(loaded: Loaded, jury: str | None = None) -> Poster:
    """Wi-Fi networks of the scope's rooms, one poster page each (no other secret)."""
    wifi = tuple(w for rid in scope_rooms(loaded, jury) for w in _room(loaded, rid).wifi)
    return Poster(loaded.session.centre or loaded.inventory.centre, loaded.session.date, wifi)


def _room(loaded: Loaded, room_id: str) -> RoomRecap:
    inventory = loaded.inventory
    room = inventory.rooms[room_id]
    devices = sorted(inventory.in_room(room_id), key=lambda d: d.name)
    by_family: dict[str, list[Device]] = {}
    for device in devices:
        by_family.setdefault(device.family, []).append(device)

    def rows(*families: str) -> tuple[DeviceRow, ...]:
        return tuple(_row(loaded, d) for f in families for d in by_family.get(f, []))

    wifi = tuple(
        Wifi(room.label, ap.wifi_ssid, ap.wifi_security, secret_of(ap, "wifi_key"), _row(loaded, ap))
        for ap in by_family.get("access_point", [])
    )
    return RoomRecap(
        id=room_id,
        label=room.label,
        wifi=wifi,
        computers=rows("windows", "linux", "macos"),
        tablets=rows("android", "ipad"),
        peripherals=rows("printer", "scanner"),
        others=rows("microcontroller", "robot", "printer_3d", "projector"),
    )


def _default_port(port: int, default: int) -> str:
    return "" if port == default else f":{port}"


def ipp_uri(printer: m.Printer) -> str | None:
    if printer.connection != "network" or not printer.address:
        return None
    return f"ipp://{printer.address}{_default_port(printer.ipp_port, 631)}{printer.ipp_path}"


def escl_url(scanner: m.Scanner) -> str | None:
    if scanner.connection != "network" or not scanner.address:
        return None
    default = 443 if scanner.escl_scheme == "https" else 80
    return f"{scanner.escl_scheme}://{scanner.address}{_default_port(scanner.escl_port, default)}{scanner.escl_path}"


def printer_3d_url(printer: m.Printer3D) -> str | None:
    if printer.web_url:
        return printer.web_url
    if printer.driver == "marlin" or not printer.address:
        return None
    return f"http://{printer.address}{_default_port(printer.api_port or 80, 80)}"


def _brand_model(device: Device) -> str | None:
    text = " ".join(p for p in (device.brand, device.model) if p)
    return text or None


def _row(loaded: Loaded, device: Device) -> DeviceRow:  # noqa: C901 - one branch per family, flat
    details: list[str] = []
    accounts: list[Account] = []
    access: str | None = None
    kind = FAMILY_LABELS.get(device.family, device.family)
    if isinstance(device, m.Workstation):
        details.append(ROLE_LABELS.get(device.role, device.role))
        if device.projection:
            details.append("relié au vidéoprojecteur")
        accounts.append(Account("Session administrateur", device.admin_user, secret_of(device, "admin_password")))
    elif isinstance(device, m.AndroidTablet):
        accounts.append(Account("Code de déverrouillage", None, secret_of(device, "unlock_code")))
        accounts.append(Account("Compte Google", device.google_account, secret_of(device, "google_password")))
        if not device.address and device.adb_serial:
            details.append("reliée en USB")
    elif isinstance(device, m.Ipad):
        accounts.append(Account("Code de déverrouillage", None, secret_of(device, "unlock_code")))
        accounts.append(Account("Identifiant Apple", device.apple_id, secret_of(device, "apple_id_password")))
    elif isinstance(device, m.Printer):
        access = ipp_uri(device)
        details.append("impression IPP" if access else "imprimante USB")
    elif isinstance(device, m.Scanner):
        access = escl_url(device)
        details.append("numérisation eSCL" if access else "scanner USB")
    elif isinstance(device, m.Microcontroller):
        kind = BOARD_LABELS.get(device.board, device.board)
        if device.attached_to:
            host = loaded.inventory.hosts.get(device.attached_to)
            details.append(f"branché sur {host[0].display() if host else device.attached_to}")
    elif isinstance(device, m.Robot):
        kind = f"Robot {ROBOT_LABELS.get(device.kind, device.kind)}"
        if device.probe == "manual":
            details.append("à vérifier à la main (charge, fonctionnement)")
    elif isinstance(device, m.Printer3D):
        if access := printer_3d_url(device):
            details.append("interface web")
        details.append(f"seuil filament : {device.min_filament_g} g")
        if device.api_key is not None:
            accounts.append(Account("Clé API", None, secret_of(device, "api_key")))
        if device.api_user or device.api_password is not None:
            accounts.append(Account("Connexion web", device.api_user, secret_of(device, "api_password")))
    elif isinstance(device, m.AccessPoint):
        details.append(f"administration SSH ({device.platform})")
        accounts.append(Account("Administration de la borne", device.ssh_user, secret_of(device, "ssh_password")))
    elif isinstance(device, m.Projector):
        kind = "Écran" if device.kind == "screen" else "Vidéoprojecteur"
        if device.screen_size_in:
            details.append(f"{device.screen_size_in} pouces")
        if device.speakers:
            details.append("haut-parleurs intégrés")
        if device.pjlink_password is not None:
            accounts.append(Account("PJLink", None, secret_of(device, "pjlink_password")))
    return DeviceRow(device.name, device.display(), kind, device.address, _brand_model(device), access,
                     tuple(details), tuple(accounts))


def _jury(loaded: Loaded, jury_id: str, verdicts: tuple[Verdict, ...]) -> JuryRecap:
    session, inventory = loaded.session, loaded.inventory
    jury = session.jury(jury_id)
    planned: dict[tuple[str, str], list[str]] = {}  # (candidate, title id) -> hosts
    for host in loaded.plan.hosts:
        if host.device.room != jury.room:
            continue
        for title_id, title in host.software.items():
            for reason in title.requested_by:
                if reason.startswith("candidat:"):
                    planned.setdefault((reason.split(":", 1)[1], title_id), []).append(host.device.name)
    candidates = []
    for cand in sorted((c for c in session.candidates if c.jury == jury_id), key=lambda c: c.order):
        rows = []
        for request in (r for r in session.requests if r.candidate == cand.id):
            hosts = tuple(planned.get((cand.id, request.title_id), ()))
            status = _software_status(verdicts, hosts, request.title_id)
            label = "ordinateur personnel" if cand.own_laptop and not hosts else STATUS_LABELS[status]
            rows.append(SoftwareRow(loaded.catalog[request.title_id].name, FAMILY_LABELS[request.kind],
                                    hosts, status, label))
        candidates.append(CandidateRow(cand.order, cand.time, cand.id, cand.name, cand.own_laptop,
                                       tuple(session.accessibility.get(cand.id, ())), tuple(rows)))
    room = inventory.rooms.get(jury.room)
    return JuryRecap(jury.id, jury.label or jury.id, room.label if room else jury.room, tuple(candidates))


_TITLE_PARAMS = ("title_id", "title", "software", "id")


def _software_status(verdicts: tuple[Verdict, ...], hosts: tuple[str, ...], title_id: str) -> Status:
    """Worst status of the ``software`` verdicts of this title on its hosts; UNKNOWN if none."""
    found = [
        v.status
        for v in verdicts
        if v.check == "software" and v.device in hosts
        and any(v.params.get(p) == title_id for p in _TITLE_PARAMS)
    ]
    return worst(found) if found else Status.UNKNOWN
