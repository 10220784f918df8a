"""``plateau`` command line (French help; ``PLATEAU_LANG=en`` for English messages).

One module per command in this package; ``common`` holds the app, options and exit codes.
Heavy libraries (Ansible, Typst, drivers) are imported inside the commands, so
``plateau --help`` and ``plateau validate`` start fast.
"""

from __future__ import annotations

import errno
import importlib
import logging
import os
import sys
import traceback
from typing import Annotated

import click
import typer

from provision import __version__
from provision.cli.common import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    app,
    err,
    log_path,
    out,
    print_problems,
    state,
)
from provision.errors import PlateauError, Problem
from provision.messages import render

#: one module per command; importing it registers the command, in this order in --help
COMMANDS = ("validate", "check", "provision", "cache", "bootstrap", "dashboard", "secrets", "recap", "attest", "demo")
for _name in COMMANDS:
    importlib.import_module(f"provision.cli.{_name}")


@app.callback(invoke_without_command=True)
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Affiche la trace complète des erreurs internes.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Affiche la version et quitte.")] = False,
) -> None:
    state["debug"] = debug
    if version:
        out.print(f"plateau {__version__}")
        raise typer.Exit(EXIT_OK)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: maps every outcome to a documented exit code."""
    _log_to_file()
    try:
        code = app(args=argv, standalone_mode=False)
    except PlateauError as exc:
        print_problems(exc.problems)
        code = EXIT_USAGE
    except click.exceptions.Abort:
        err.print(render("cli.interrupted"))
        code = EXIT_INTERRUPTED
    except KeyboardInterrupt:
        err.print(render("cli.interrupted"))
        code = EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into `head`: not an error
        sys.stderr = open(os.devnull, "w")  # silence the interpreter's flush at exit  # noqa: SIM115
        code = EXIT_OK
    except click.exceptions.ClickException as exc:
        exc.show()
        code = EXIT_USAGE
    except OSError as exc:
        if state["debug"]:
            raise
        if exc.errno in _ENVIRONMENT_ERRNOS:  # a full disk, a read-only folder: the machine, not a bug
            logging.getLogger("plateau").warning("file system error\n%s", traceback.format_exc())
            print_problems([_os_problem(exc)])
            code = EXIT_USAGE
        else:
            code = _internal_error()
    except Exception:
        if state["debug"]:
            raise
        code = _internal_error()
    sys.exit(code if isinstance(code, int) else EXIT_OK)


#: OS errors that say something about the machine (rights, space), never about plateau's code
_ENVIRONMENT_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT})


def _os_problem(exc: OSError) -> Problem:
    from provision.paths import shown

    file = shown(exc.filename) if exc.filename else None
    key = "cli.disk_full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "cli.not_writable"
    return Problem(key=key, file=file, params={"file": file or "?", "reason": exc.strerror or str(exc)})


def _log_to_file() -> None:
    """Logs go to a file, never to the technician's terminal (and never hold a secret)."""
    root = logging.getLogger()
    if root.handlers:
        return
    try:
        path = log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


def _internal_error() -> int:
    path = log_path()
    logging.getLogger("plateau").error("internal error\n%s", traceback.format_exc())
    err.print(f"[bold red]{render('cli.internal_error', {'log': path})}[/]")
    return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    main()
