"""``plateau secrets init``: generate the inventory's secrets into ansible-vault files.

    <inventory>/.vault_pass                 vault password file, created 0600 if missing
    <inventory>/host_vars/<host>/vault.yml  ansible-vault encrypted, one per host, 0600

Which secrets: the accounts the plan expects per family (the registry's ``Family.accounts``).
Only those plateau owns (``Account.generated``: admin sessions, unlock codes, the Wi-Fi key
when the centre leaves it to plateau) are generated; the secrets of accounts that exist
elsewhere (a Google account, an Apple ID, the access point's current login) are never made
up: ``ask`` supplies them (the CLI prompts without echo), or they are left « à saisir »
(``SecretsReport.to_enter``) for ``set_secret``. A value already set (in vault.yml or
anywhere else in the inventory) is kept; ``rotate`` regenerates every secret plateau owns,
Wi-Fi keys included (after the exam). Other keys of an existing vault.yml (an API key...)
are left as they are.

Passwords are readable and typeable by a jury member: three capitalised pronounceable
words of three syllables and three digits, e.g. ``Tupara-Vesuna-Kodemi-472``, drawn with
the ``secrets`` module from an alphabet without ambiguous characters (no 0, O, 1, l, I):
3 words x 3 syllables x log2(16 x 5) + 3 x log2(8) = 65.9 bits of entropy.
Unlock codes are six-digit PINs (tablet keypads), the same digits 2-9.

Nothing here prints or logs a secret: callers get counts and paths only.
"""

from __future__ import annotations

import math
import os
import secrets as _random
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml

from provision.errors import InventoryError, Problem, Severity, VaultError
from provision.families import REGISTRY
from provision.families.base import Account
from provision.inventory import ansible_source, prescan
from provision.inventory.loader import DEFAULT_VAULT_PASSWORD_FILE, HOSTS_FILE, find_vault_password_file
from provision.paths import shown

CONSONANTS = "bcdfghjkmnprstvz"  # no l (looks like 1 and I)
VOWELS = "aeiou"
DIGITS = "23456789"  # no 0 (O) nor 1 (l, I)
WORDS, SYLLABLES, PASSWORD_DIGITS, PIN_DIGITS = 3, 3, 3, 6
PASSWORD_ENTROPY_BITS = WORDS * SYLLABLES * math.log2(len(CONSONANTS) * len(VOWELS)) + PASSWORD_DIGITS * math.log2(
    len(DIGITS)
)
VAULT_FILE = "vault.yml"
PIN_VARS = frozenset({"unlock_code"})
TEMPLATE_MARKS = ("{{", "{%", "{#")  # Ansible would read a typed secret holding them as a template


def device_secrets(devices: Any) -> list[str]:
    """Every secret field of the loaded devices (Wi-Fi keys, admin and account passwords...),
    values of 4 characters or more: what a run's events and the dashboard redact."""
    from pydantic import SecretStr

    values = set()
    for device in devices:
        for name in type(device).model_fields:
            value = getattr(device, name, None)
            if isinstance(value, SecretStr):
                values.add(value.get_secret_value())
    return sorted(v for v in values if len(v) >= 4)


def looks_like_template(value: str) -> bool:
    return any(mark in value for mark in TEMPLATE_MARKS)


def generate_password() -> str:
    words = [
        "".join(_random.choice(CONSONANTS) + _random.choice(VOWELS) for _ in range(SYLLABLES)).capitalize()
        for _ in range(WORDS)
    ]
    return "-".join([*words, "".join(_random.choice(DIGITS) for _ in range(PASSWORD_DIGITS))])


def generate_pin() -> str:
    return "".join(_random.choice(DIGITS) for _ in range(PIN_DIGITS))


def generate_for(secret_var: str) -> str:
    return generate_pin() if secret_var in PIN_VARS else generate_password()


@dataclass(slots=True)
class SecretsReport:
    password_file: Path
    password_file_created: bool
    generated: int = 0
    kept: int = 0
    hosts: int = 0
    entered: int = 0  # typed in (``ask``)
    files: list[Path] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    to_enter: list[ExpectedSecret] = field(default_factory=list)  # external secrets still missing


@dataclass(frozen=True, slots=True)
class ExpectedSecret:
    """One secret an account of a host's family expects (never its value)."""

    host: str
    secret: str  # the field holding it
    kind: str  # label.account.<kind>
    login: str | None  # the account's login as the inventory gives it (an e-mail, a user name)
    generated: bool  # plateau owns it (``Account.generated``)
    present: bool  # already set somewhere in the inventory


#: ask(expected) -> the typed secret, or None to leave it « à saisir »
Ask = Callable[[ExpectedSecret], str | None]


def _vault(password: bytes) -> Any:
    from ansible.parsing.vault import VaultLib, VaultSecret

    return VaultLib([("default", VaultSecret(password))])


def read_vault_file(path: Path, password: bytes) -> dict[str, Any]:
    """Decrypt (or read, if still plain YAML) one vault.yml; {} if absent."""
    if not path.is_file():
        return {}
    raw = path.read_bytes()
    vault = _vault(password)
    if vault.is_encrypted(raw):
        from ansible.errors import AnsibleError

        try:
            raw = vault.decrypt(raw)
        except AnsibleError as exc:
            raise VaultError(Problem(key="vault.wrong_password", file=shown(path), params={"source": ""})) from exc
    data = yaml.safe_load(raw) or {}
    return dict(data) if isinstance(data, dict) else {}


def write_vault_file(path: Path, data: dict[str, Any], password: bytes) -> None:
    """Encrypt ``data`` as YAML into ``path`` (mode 0600, atomic replace)."""
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=True, default_style='"')
    encrypted = _vault(password).encrypt(text.encode("utf-8"))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".vault-", dir=path.parent)  # mkstemp creates 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(encrypted)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    os.chmod(path, 0o600)


def create_password_file(path: Path) -> None:
    """A new random vault password, created with mode 0600 (never overwrites)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(_random.token_urlsafe(32) + "\n")


def git_ignores(path: Path) -> bool | None:
    """True/False if git ignores ``path``; None outside a git work tree (or without git)."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(path.parent), "check-ignore", "-q", str(path)],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return {0: True, 1: False}.get(proc.returncode)


def _check_password_file(path: Path, report: SecretsReport) -> None:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        os.chmod(path, 0o600)
        report.warnings.append(
            Problem(
                key="secrets.mode_fixed",
                file=shown(path),
                severity=Severity.WARNING,
                params={"path": shown(path), "mode": f"{mode:o}"},
            )
        )
    if git_ignores(path) is False:
        report.warnings.append(
            Problem(
                key="secrets.not_gitignored", file=shown(path), severity=Severity.WARNING, params={"path": shown(path)}
            )
        )


def _load_raw(root: Path, password: bytes | None, source: str | None) -> Any:
    hosts_file = root / HOSTS_FILE
    if not hosts_file.is_file():
        raise InventoryError(
            Problem(key="inventory.no_hosts_file", file=shown(hosts_file), params={"path": shown(root)})
        )
    problems = [p for p in prescan.prescan(root, hosts_file, password, source) if p.is_error]
    if problems:
        kind = VaultError if all(p.key.startswith("vault.") for p in problems) else InventoryError
        raise kind(problems)
    try:
        return ansible_source.load(hosts_file, password)
    except ansible_source.AnsibleLoadError as exc:
        raise InventoryError(
            Problem(key="inventory.ansible", file=shown(hosts_file), params={"reason": str(exc)})
        ) from exc


def _applies(account: Account, model: type[Any], host_vars: dict[str, Any]) -> bool:
    """``Account.when`` on the raw host variables over the model's defaults (no key on an open
    Wi-Fi network); True when it cannot tell (the models' validation says the rest)."""
    if account.when is None:
        return True
    fields = getattr(model, "model_fields", {})
    values = {name: f.get_default(call_default_factory=True) for name, f in fields.items() if not f.is_required()}
    try:
        return bool(account.when(SimpleNamespace(**{**values, **host_vars})))
    except Exception:  # noqa: BLE001 - a value the model would refuse: validate reports it
        return True


def expected_secrets(
    root: Path, password: bytes | None, source: str | None, *, recap_only: bool = False
) -> dict[str, dict[str, ExpectedSecret]]:
    """host -> {secret var: what is expected} for every account the inventory's families expect
    (``recap_only``: also the accounts the plan does not list, an API key...).

    Read with Ansible's own loader but without the models' validation: a missing Wi-Fi key
    is an inventory error that this very command is meant to fix.
    """
    raw = _load_raw(root, password, source)
    expected: dict[str, dict[str, ExpectedSecret]] = {}
    for host in raw.hosts:
        for family in (g for g in host.groups if g in REGISTRY):
            for account in REGISTRY[family].accounts:
                if (account.in_plan or recap_only) and _applies(account, REGISTRY[family].model, host.vars):
                    login = host.vars.get(account.login) if account.login else None
                    expected.setdefault(host.name, {})[account.secret] = ExpectedSecret(
                        host=host.name,
                        secret=account.secret,
                        kind=account.kind,
                        login=str(login) if login not in (None, "") else None,
                        generated=account.generated and account.in_plan,
                        present=bool(host.vars.get(account.secret)),
                    )
    return expected


def _read_password(password_file: Path) -> bytes:
    try:
        return password_file.read_bytes().strip()
    except OSError as exc:
        raise VaultError(
            Problem(key="vault.password_file_unreadable", file=shown(password_file), params={"reason": exc.strerror})
        ) from exc


def init_secrets(
    root: Path, vault_password_file: Path | None = None, *, rotate: bool = False, ask: Ask | None = None
) -> SecretsReport:
    """Generate the missing secrets plateau owns (all of them with ``rotate``) into
    host_vars/<host>/vault.yml; ask for the missing external ones (``ask``), or list them
    in ``to_enter``."""
    root = Path(root)
    if not root.is_dir():
        raise InventoryError(Problem(key="inventory.no_dir", params={"path": shown(root)}))
    password_file, source = find_vault_password_file(root, vault_password_file)
    created = False
    if password_file is None:
        # read the inventory first: if vault files exist, a new password could not open them
        expected = expected_secrets(root, None, None)
        password_file = root / DEFAULT_VAULT_PASSWORD_FILE
        create_password_file(password_file)
        created = True
    else:
        expected = expected_secrets(root, _read_password(password_file), source)
    report = SecretsReport(password_file, created)
    _check_password_file(password_file, report)
    password = password_file.read_bytes().strip()

    for host, wanted in sorted(expected.items()):
        report.hosts += 1
        path = root / "host_vars" / host / VAULT_FILE
        data = read_vault_file(path, password)
        changed = False
        for secret_var, item in wanted.items():
            present = bool(data.get(secret_var)) or item.present
            if present and not (rotate and item.generated):
                report.kept += 1
                continue
            if item.generated:
                data[secret_var] = generate_for(secret_var)
                report.generated += 1
                changed = True
                continue
            value = ask(item) if ask is not None else None
            if value and not looks_like_template(value):
                data[secret_var] = value
                report.entered += 1
                changed = True
            else:
                report.to_enter.append(item)
        if changed:
            write_vault_file(path, data, password)
            report.files.append(path)
    return report


def set_secret(
    root: Path, vault_password_file: Path | None, host: str, secret_var: str, read: Callable[[], str]
) -> Path:
    """Store one secret of an account of ``host`` in its vault.yml (``plateau secrets set``);
    ``read`` gives the value, called once host and field are known good."""
    root = Path(root)
    if not root.is_dir():
        raise InventoryError(Problem(key="inventory.no_dir", params={"path": shown(root)}))
    password_file, source = find_vault_password_file(root, vault_password_file)
    if password_file is None:
        raise VaultError(Problem(key="secrets.no_password_file", params={"inventory": shown(root)}))
    password = _read_password(password_file)
    expected = expected_secrets(root, password, source, recap_only=True)
    if host not in expected:
        raise InventoryError(Problem(key="secrets.unknown_host", host=host, params={"host": host}))
    if secret_var not in expected[host]:
        raise InventoryError(
            Problem(
                key="secrets.unknown_field",
                host=host,
                field=secret_var,
                params={"field": secret_var, "known": ", ".join(sorted(expected[host]))},
            )
        )
    value = read()
    if not value:
        raise InventoryError(Problem(key="secrets.empty_value", host=host, field=secret_var))
    if looks_like_template(value):
        raise InventoryError(Problem(key="secrets.jinja", host=host, field=secret_var, params={"name": secret_var}))
    path = root / "host_vars" / host / VAULT_FILE
    data = read_vault_file(path, password)
    data[secret_var] = value
    write_vault_file(path, data, password)
    return path
