"""Load everything a command needs from an inventory directory, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from provision.catalog import Catalog, load_catalog
from provision.errors import PlateauError, Problem
from provision.inventory import Inventory, load_inventory
from provision.paths import shown
from provision.plan import Plan, build_plan
from provision.referentiels import load_referentiel
from provision.session import Session, load_session
from provision.yamlmap import load_checked

CENTRE_CATALOG = "catalog.yml"


@dataclass(slots=True)
class Loaded:
    inventory: Inventory
    catalog: Catalog
    session: Session
    plan: Plan

    @property
    def warnings(self) -> list[Problem]:
        return [*self.inventory.warnings, *self.plan.warnings]


def check_file(path: Path) -> list[Problem]:
    """The problems of one YAML file read by plateau alone (:func:`provision.yamlmap.load_checked`)."""
    _data, _lines, problems = load_checked(path, shown(path))
    return problems


def load_all(root: Path, vault_password_file: Path | None = None) -> Loaded:
    """Inventory, catalog, session and plan; every input error of every file is reported.

    The inventory and the catalog are checked independently so one run lists the
    mistakes of both; the session needs both, the plan needs all three.
    """
    problems: list[Problem] = []
    inventory = catalog = None
    try:
        inventory = load_inventory(root, vault_password_file)
    except PlateauError as exc:
        problems.extend(exc.problems)
    centre_catalog = Path(root) / CENTRE_CATALOG
    # the centre's catalog.yml is the technician's file too: encoding, control characters,
    # limits, duplicate keys and dates are checked the same way before the catalog reads it
    catalog_problems = check_file(centre_catalog) if centre_catalog.is_file() else []
    problems.extend(catalog_problems)
    if not any(p.is_error for p in catalog_problems):
        try:
            catalog = load_catalog(centre_catalog)
        except PlateauError as exc:
            problems.extend(exc.problems)
    if inventory is None or catalog is None:
        # the session file's own mistakes are reported in the same run
        from provision.session import SESSION_FILE, SessionError, parse_session_file

        if Path(root).is_dir():  # a missing folder is one error, not two
            try:
                parse_session_file(Path(root) / SESSION_FILE)
            except SessionError as exc:
                problems.extend(exc.problems)
        raise PlateauError(problems)
    try:
        session = load_session(inventory, catalog)
    except PlateauError as exc:  # the inventory's warnings may explain the session's errors
        raise type(exc)([*exc.problems, *problems, *inventory.warnings]) from exc
    plan = build_plan(inventory, session, catalog, load_referentiel(session.referentiel))
    return Loaded(inventory, catalog, session, plan)
