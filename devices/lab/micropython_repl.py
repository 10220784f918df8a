"""The MicroPython REPL of a simulated board: friendly and raw modes, and a tiny interpreter.

Wire protocol (MicroPython ``shared/runtime/pyexec.c``, as ``mpremote`` and ``pyboard.py``
drive it)::

    friendly REPL   echoes input; Enter runs the line and prints ``>>> ``
    Ctrl-A  0x01    enter raw REPL: ``raw REPL; CTRL-B to exit\\r\\n>`` (input not echoed)
    Ctrl-B  0x02    back to the friendly REPL: banner + ``>>> ``
    Ctrl-C  0x03    interrupt; in raw mode clears the pending input
    Ctrl-D  0x04    raw mode, input pending: ``OK`` <stdout> ``\\x04`` <stderr> ``\\x04>``
                    raw mode, nothing pending: soft reset,
                    ``OK\\r\\nMPY: soft reboot\\r\\nraw REPL; CTRL-B to exit\\r\\n>``
                    friendly mode: soft reset, banner

Raw-paste mode (``\\x05A\\x01``, MicroPython >= 1.14) is not simulated: the boards answer
like firmware that predates it (micro:bit v1, SPIKE 2.x), where the ``\\x01`` simply
re-enters raw mode, which is the fallback ``mpremote`` takes.

The interpreter only knows what the tests ask: ``import <module>``, ``print(...)`` of
numbers, strings and arithmetic, and ``hub.battery.capacity_left()`` on a SPIKE hub.
Anything else fails the way MicroPython fails (``NameError`` traceback on stderr).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass, field

RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n>"
_BINARY: dict[type, Callable[[object, object], object]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
MODULES = {"microbit": {"microbit"}, "spike": {"hub"}, "micropython": {"machine", "rp2"}}
COMMON_MODULES = {"sys", "gc", "time", "micropython", "os"}


class _MpError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.message = kind, message


def traceback(kind: str, message: str) -> str:
    return f'Traceback (most recent call last):\r\n  File "<stdin>", line 1, in <module>\r\n{kind}: {message}\r\n'


@dataclass
class MiniMicroPython:
    personality: str
    battery_pct: Callable[[], int]
    battery_api: Callable[[], bool]
    imported: set[str] = field(default_factory=set)

    def run(self, code: str, *, echo_value: bool = False) -> tuple[str, str]:
        """(stdout, stderr) of ``code``, with MicroPython's ``\\r\\n`` line endings."""
        out: list[str] = []
        try:
            tree = ast.parse(code.replace("\r\n", "\n").replace("\r", "\n"))
        except SyntaxError:
            return "", traceback("SyntaxError", "invalid syntax")
        try:
            for statement in tree.body:
                if isinstance(statement, ast.Import):
                    for alias in statement.names:
                        self._import(alias.name)
                elif isinstance(statement, ast.Expr):
                    value = self._eval(statement.value, out)
                    if echo_value and value is not None:
                        out.append(repr(value) + "\r\n")
                else:
                    raise _MpError("NotImplementedError", "not simulated")
        except _MpError as exc:
            return "".join(out), traceback(exc.kind, exc.message)
        return "".join(out), ""

    def _import(self, name: str) -> None:
        if name not in COMMON_MODULES | MODULES.get(self.personality, set()):
            raise _MpError("ImportError", f"no module named '{name}'")
        self.imported.add(name)

    def _eval(self, node: ast.AST, out: list[str]) -> object:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str)):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = self._eval(node.left, out), self._eval(node.right, out)
            try:
                return _BINARY[type(node.op)](left, right)
            except ZeroDivisionError as exc:
                raise _MpError("ZeroDivisionError", "divide by zero") from exc
            except TypeError as exc:
                raise _MpError("TypeError", "unsupported types") from exc
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            value = self._eval(node.operand, out)
            if not isinstance(value, (int, float)):
                raise _MpError("TypeError", "unsupported type for __neg__")
            return -value
        if isinstance(node, ast.Name):
            raise _MpError("NameError", f"name '{node.id}' isn't defined")
        if isinstance(node, ast.Call) and not node.keywords:
            target = ast.unparse(node.func)
            args = [self._eval(arg, out) for arg in node.args]
            if target == "print":
                out.append(" ".join(str(a) for a in args) + "\r\n")
                return None
            if target == "hub.battery.capacity_left" and not args:
                return self._hub_battery()
            root = target.split(".")[0]
            if root not in self.imported:
                raise _MpError("NameError", f"name '{root}' isn't defined")
        raise _MpError("AttributeError", "'module' object has no attribute (not simulated)")

    def _hub_battery(self) -> int:
        if "hub" not in self.imported:
            raise _MpError("NameError", "name 'hub' isn't defined")
        if not self.battery_api():
            raise _MpError("AttributeError", "'module' object has no attribute 'battery'")
        return self.battery_pct()


@dataclass
class ReplSession:
    """Byte-level REPL state machine: feed what the host sends, get what the board prints."""

    interpreter: MiniMicroPython
    banner: str
    raw: bool = False
    line: bytearray = field(default_factory=bytearray)

    def _friendly_banner(self) -> bytes:
        return f'{self.banner}\r\nType "help()" for more information.\r\n>>> '.encode()

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        for byte in data:
            if byte == 0x01:  # Ctrl-A: raw REPL
                self.raw, self.line = True, bytearray()
                out += RAW_BANNER
            elif byte == 0x02:  # Ctrl-B: friendly REPL
                self.raw, self.line = False, bytearray()
                out += b"\r\n" + self._friendly_banner()
            elif byte == 0x03:  # Ctrl-C
                self.line.clear()
                if not self.raw:
                    out += b"\r\n>>> "
            elif byte == 0x04 and self.raw:  # Ctrl-D: run / soft reset
                code, self.line = bytes(self.line).decode("utf-8", "replace"), bytearray()
                if not code:
                    self.interpreter.imported.clear()
                    out += b"OK\r\nMPY: soft reboot\r\n" + RAW_BANNER
                    continue
                stdout, stderr = self.interpreter.run(code)
                out += b"OK" + stdout.encode() + b"\x04" + stderr.encode() + b"\x04>"
            elif byte == 0x04:
                self.interpreter.imported.clear()
                out += b"\r\nMPY: soft reboot\r\n" + self._friendly_banner()
            elif self.raw:
                self.line.append(byte)  # raw mode: no echo
            elif byte in (0x0D, 0x0A):
                code, self.line = bytes(self.line).decode("utf-8", "replace"), bytearray()
                stdout, stderr = self.interpreter.run(code, echo_value=True) if code.strip() else ("", "")
                out += b"\r\n" + stdout.encode() + stderr.encode() + b">>> "
            else:
                self.line.append(byte)
                out.append(byte)  # the friendly REPL echoes
        return bytes(out)
