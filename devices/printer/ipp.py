"""A small IPP/1.1-2.0 message codec (RFC 8010 binary encoding, RFC 8011 semantics).

Enough for Get-Printer-Attributes: encode a request, decode any response (including
collections such as ``media-col-database``), and encode a response for the lab simulator.

    message  = version-number(2) operation-id/status-code(2) request-id(4)
               *(begin-attribute-group-tag *attribute) end-of-attributes-tag(0x03) data
    attribute = value-tag(1) name-length(2) name value-length(2) value
                (name-length 0 = one more value of the previous attribute)

Decoding errors raise :class:`devices.errors.BadAnswer`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from devices.errors import BadAnswer

# Delimiter tags (RFC 8010 §3.5.1).
OPERATION_GROUP = 0x01
JOB_GROUP = 0x02
END_OF_ATTRIBUTES = 0x03
PRINTER_GROUP = 0x04
UNSUPPORTED_GROUP = 0x05

# Value tags (RFC 8010 §3.5.2).
UNSUPPORTED = 0x10
UNKNOWN = 0x12
NO_VALUE = 0x13
INTEGER = 0x21
BOOLEAN = 0x22
ENUM = 0x23
OCTET_STRING = 0x30
DATE_TIME = 0x31
RESOLUTION = 0x32
RANGE_OF_INTEGER = 0x33
BEG_COLLECTION = 0x34
TEXT_WITH_LANGUAGE = 0x35
NAME_WITH_LANGUAGE = 0x36
END_COLLECTION = 0x37
TEXT = 0x41
NAME = 0x42
KEYWORD = 0x44
URI = 0x45
URI_SCHEME = 0x46
CHARSET = 0x47
NATURAL_LANGUAGE = 0x48
MIME_MEDIA_TYPE = 0x49
MEMBER_ATTR_NAME = 0x4A
EXTENSION = 0x7F

GET_PRINTER_ATTRIBUTES = 0x000B

_STRING_TAGS = frozenset(
    {TEXT, NAME, KEYWORD, URI, URI_SCHEME, CHARSET, NATURAL_LANGUAGE, MIME_MEDIA_TYPE, MEMBER_ATTR_NAME}
)
_INT_TAGS = frozenset({INTEGER, ENUM})
_MAX_DEPTH = 16

STATUS_NAMES: dict[int, str] = {
    0x0000: "successful-ok",
    0x0001: "successful-ok-ignored-or-substituted-attributes",
    0x0002: "successful-ok-conflicting-attributes",
    0x0400: "client-error-bad-request",
    0x0401: "client-error-forbidden",
    0x0402: "client-error-not-authenticated",
    0x0403: "client-error-not-authorized",
    0x0404: "client-error-not-possible",
    0x0406: "client-error-not-found",
    0x0500: "server-error-internal-error",
    0x0501: "server-error-operation-not-supported",
    0x0502: "server-error-service-unavailable",
    0x0503: "server-error-version-not-supported",
    0x0507: "server-error-busy",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Attribute:
    """One attribute to encode: ``tag`` applies to every value (no mixed 1setOf)."""

    name: str
    tag: int
    values: tuple[Any, ...]


@dataclass(slots=True, kw_only=True)
class Message:
    """A decoded IPP message. ``groups`` keeps order: (group tag, {name: [values]})."""

    version: tuple[int, int]
    code: int  # operation-id in a request, status-code in a response
    request_id: int
    groups: list[tuple[int, dict[str, list[Any]]]] = field(default_factory=list)

    def group(self, tag: int) -> dict[str, list[Any]]:
        """All attributes of the groups with ``tag``, merged (first occurrence wins)."""
        merged: dict[str, list[Any]] = {}
        for group_tag, attrs in self.groups:
            if group_tag == tag:
                for name, values in attrs.items():
                    merged.setdefault(name, values)
        return merged

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.code, f"0x{self.code:04x}")


# --------------------------------------------------------------------------- encoding


def _encode_value(tag: int, value: Any) -> bytes:
    if tag in _INT_TAGS:
        return struct.pack(">i", int(value))
    if tag == BOOLEAN:
        return b"\x01" if value else b"\x00"
    if tag == RANGE_OF_INTEGER:
        low, high = value
        return struct.pack(">ii", low, high)
    if tag == RESOLUTION:
        x, y, unit = value
        return struct.pack(">iib", x, y, unit)
    if tag in (TEXT_WITH_LANGUAGE, NAME_WITH_LANGUAGE):
        lang, text = value
        lang_b, text_b = lang.encode(), text.encode()
        packed: bytes = struct.pack(">H", len(lang_b)) + lang_b + struct.pack(">H", len(text_b)) + text_b
        return packed
    if tag in (UNSUPPORTED, UNKNOWN, NO_VALUE):
        return b""
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


def _encode_one(tag: int, name: bytes, value: Any) -> bytes:
    if tag != BEG_COLLECTION:
        value_b = _encode_value(tag, value)
        return struct.pack(">BH", tag, len(name)) + name + struct.pack(">H", len(value_b)) + value_b
    # value = {member name: (tag, (values...))} (RFC 8010 §3.1.6)
    out = bytearray(struct.pack(">BH", tag, len(name)) + name + b"\x00\x00")
    for member, (member_tag, member_values) in value.items():
        member_b = member.encode("ascii")
        out += struct.pack(">BHH", MEMBER_ATTR_NAME, 0, len(member_b)) + member_b
        for member_value in member_values:
            out += _encode_one(member_tag, b"", member_value)
    out += struct.pack(">BHH", END_COLLECTION, 0, 0)
    return bytes(out)


def _encode_attribute(attr: Attribute) -> bytes:
    out = bytearray()
    for index, value in enumerate(attr.values or (None,)):
        out += _encode_one(attr.tag, attr.name.encode("ascii") if index == 0 else b"", value)
    return bytes(out)


def encode_message(
    *,
    code: int,
    request_id: int,
    groups: list[tuple[int, list[Attribute]]],
    version: tuple[int, int] = (2, 0),
    data: bytes = b"",
) -> bytes:
    """Encode a request or response; a collection value is ``{member: (tag, (values...))}``."""
    out = bytearray(struct.pack(">BBHI", version[0], version[1], code, request_id))
    for group_tag, attrs in groups:
        out.append(group_tag)
        for attr in attrs:
            out += _encode_attribute(attr)
    out.append(END_OF_ATTRIBUTES)
    return bytes(out) + data


def get_printer_attributes_request(
    printer_uri: str,
    requested: tuple[str, ...],
    *,
    request_id: int = 1,
    version: tuple[int, int] = (2, 0),
) -> bytes:
    """Body of a Get-Printer-Attributes (0x000B) request for ``printer_uri``."""
    operation = [
        Attribute(name="attributes-charset", tag=CHARSET, values=("utf-8",)),
        Attribute(name="attributes-natural-language", tag=NATURAL_LANGUAGE, values=("en",)),
        Attribute(name="printer-uri", tag=URI, values=(printer_uri,)),
        Attribute(name="requested-attributes", tag=KEYWORD, values=requested),
    ]
    return encode_message(
        code=GET_PRINTER_ATTRIBUTES,
        request_id=request_id,
        groups=[(OPERATION_GROUP, operation)],
        version=version,
    )


# --------------------------------------------------------------------------- decoding


class _Reader:
    __slots__ = ("buf", "pos")

    def __init__(self, buf: bytes) -> None:
        self.buf = buf
        self.pos = 0

    def take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.buf):
            raise BadAnswer(f"IPP message truncated at byte {self.pos} (wanted {n} more)")
        chunk = self.buf[self.pos : end]
        self.pos = end
        return chunk

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        (value,) = struct.unpack(">H", self.take(2))
        return int(value)

    def peek(self) -> int | None:
        return self.buf[self.pos] if self.pos < len(self.buf) else None


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def decode_value(tag: int, raw: bytes) -> Any:
    """Python value of one IPP value (unknown tags give the raw bytes)."""
    if tag in _INT_TAGS:
        if len(raw) != 4:
            raise BadAnswer(f"IPP integer of {len(raw)} bytes")
        return struct.unpack(">i", raw)[0]
    if tag == BOOLEAN:
        if len(raw) != 1:
            raise BadAnswer(f"IPP boolean of {len(raw)} bytes")
        return raw != b"\x00"
    if tag in _STRING_TAGS:
        return _text(raw)
    if tag == RANGE_OF_INTEGER:
        if len(raw) != 8:
            raise BadAnswer("IPP rangeOfInteger is not 8 bytes")
        return struct.unpack(">ii", raw)
    if tag == RESOLUTION:
        if len(raw) != 9:
            raise BadAnswer("IPP resolution is not 9 bytes")
        return struct.unpack(">iib", raw)
    if tag in (TEXT_WITH_LANGUAGE, NAME_WITH_LANGUAGE):
        sub = _Reader(raw)
        sub.take(sub.u16())
        return _text(sub.take(sub.u16()))
    if tag in (UNSUPPORTED, UNKNOWN, NO_VALUE):
        return None
    return bytes(raw)


def _read_attribute_header(reader: _Reader, tag: int) -> tuple[int, str, bytes]:
    name = _text(reader.take(reader.u16()))
    raw = reader.take(reader.u16())
    if tag == EXTENSION:  # the real tag is in the first 4 value bytes (RFC 8010 §3.5.2)
        if len(raw) < 4:
            raise BadAnswer("IPP extension tag without its 4-byte type")
        tag, raw = struct.unpack(">I", raw[:4])[0] & 0x7FFFFFFF, raw[4:]
    return tag, name, raw


def _decode_collection(reader: _Reader, depth: int) -> dict[str, list[Any]]:
    """Members after a begCollection value, up to the matching endCollection."""
    if depth > _MAX_DEPTH:
        raise BadAnswer("IPP collections nested too deep")
    members: dict[str, list[Any]] = {}
    current: list[Any] | None = None
    while True:
        if reader.peek() is None:
            raise BadAnswer("IPP collection not closed")
        tag, _, raw = _read_attribute_header(reader, reader.u8())
        if tag == END_COLLECTION:
            return members
        if tag == MEMBER_ATTR_NAME:
            current = members.setdefault(_text(raw), [])
            continue
        if current is None:
            raise BadAnswer("IPP collection value before any member name")
        if tag == BEG_COLLECTION:
            current.append(_decode_collection(reader, depth + 1))
        else:
            current.append(decode_value(tag, raw))


def decode_message(buf: bytes) -> Message:
    """Decode a whole IPP message (request or response); trailing document data is ignored."""
    if not isinstance(buf, (bytes, bytearray, memoryview)):
        raise BadAnswer("IPP message is not bytes")
    reader = _Reader(bytes(buf))
    major, minor = reader.u8(), reader.u8()
    if major not in (1, 2):
        raise BadAnswer(f"not an IPP message (version byte {major})")
    code, request_id = struct.unpack(">HI", reader.take(6))
    message = Message(version=(major, minor), code=code, request_id=request_id)
    attrs: dict[str, list[Any]] | None = None
    previous: list[Any] | None = None
    while True:
        if reader.peek() is None:
            raise BadAnswer("IPP message ends without end-of-attributes tag")
        tag = reader.u8()
        if tag == END_OF_ATTRIBUTES:
            return message
        if tag < 0x10:  # begin-attribute-group
            attrs, previous = {}, None
            message.groups.append((tag, attrs))
            continue
        if attrs is None:
            raise BadAnswer("IPP attribute outside any group")
        tag, name, raw = _read_attribute_header(reader, tag)
        value = _decode_collection(reader, 1) if tag == BEG_COLLECTION else decode_value(tag, raw)
        if name:
            previous = attrs.setdefault(name, [])
        elif previous is None:
            raise BadAnswer("IPP additional value without an attribute")
        previous.append(value)
