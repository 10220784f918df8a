"""Aseba message codec (Thymio II), pure functions.

Every message is little-endian ``uint16 payload_length, uint16 source, uint16 type`` then
the payload (protocol as implemented by Mobsya's thymiodirect / aseba ``msg.cpp``). Host
requests used here::

    LIST_NODES           0xA011  payload: uint16 protocol version
    GET_NODE_DESCRIPTION 0xA010  payload: uint16 dest node, uint16 version
    GET_VARIABLES        0xA00B  payload: uint16 dest, uint16 offset, uint16 count

Node answers: NODE_PRESENT 0x900C (uint16 version), DESCRIPTION 0x9000 (string name,
7 x uint16: protocol version, bytecode size, stack size, max var size, #named variables,
#local events, #native functions), NAMED_VARIABLE_DESCRIPTION 0x9001 (uint16 size,
string name), VARIABLES 0x9005 (uint16 offset, uint16 words...). Strings are one length
byte then UTF-8.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from devices.errors import BadAnswer

LIST_NODES, GET_NODE_DESCRIPTION, GET_VARIABLES = 0xA011, 0xA010, 0xA00B
NODE_PRESENT, DESCRIPTION = 0x900C, 0x9000
NAMED_VARIABLE_DESCRIPTION, VARIABLES = 0x9001, 0x9005
HOST_NODE_ID = 0
HOST_PROTOCOL_VERSION = 5
MAX_PAYLOAD = 1024  # aseba caps messages well below this; longer = desynchronised/junk


@dataclass(frozen=True, slots=True)
class Message:
    type: int
    source: int
    payload: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeDescription:
    name: str
    protocol_version: int
    variable_count: int


def encode(msg_type: int, payload: bytes, source: int = HOST_NODE_ID) -> bytes:
    return struct.pack("<HHH", len(payload), source, msg_type) + payload


def list_nodes() -> bytes:
    return encode(LIST_NODES, struct.pack("<H", HOST_PROTOCOL_VERSION))


def get_node_description(node: int) -> bytes:
    return encode(GET_NODE_DESCRIPTION, struct.pack("<HH", node, HOST_PROTOCOL_VERSION))


def get_variables(node: int, offset: int, count: int) -> bytes:
    return encode(GET_VARIABLES, struct.pack("<HHH", node, offset, count))


def split_frames(buffer: bytes) -> tuple[list[Message], bytes]:
    """Complete messages at the start of ``buffer`` and the unconsumed rest."""
    messages = []
    offset = 0
    while len(buffer) - offset >= 6:
        length, source, msg_type = struct.unpack_from("<HHH", buffer, offset)
        if length > MAX_PAYLOAD:
            raise BadAnswer(f"Aseba frame announces {length} bytes: not an Aseba stream")
        if len(buffer) - offset < 6 + length:
            break
        messages.append(Message(msg_type, source, bytes(buffer[offset + 6 : offset + 6 + length])))
        offset += 6 + length
    return messages, bytes(buffer[offset:])


def _string(payload: bytes, offset: int) -> tuple[str, int]:
    if offset >= len(payload) or offset + 1 + payload[offset] > len(payload):
        raise BadAnswer("truncated string in Aseba message")
    end = offset + 1 + payload[offset]
    return payload[offset + 1 : end].decode("utf-8", errors="replace"), end


def _words(payload: bytes, offset: int, count: int) -> tuple[int, ...]:
    if len(payload) < offset + 2 * count:
        raise BadAnswer("truncated Aseba message")
    return struct.unpack_from(f"<{count}H", payload, offset)


def parse_node_present(message: Message) -> int:
    return _words(message.payload, 0, 1)[0]


def parse_description(message: Message) -> NodeDescription:
    name, offset = _string(message.payload, 0)
    words = _words(message.payload, offset, 7)
    return NodeDescription(name=name, protocol_version=words[0], variable_count=words[4])


def parse_variable_description(message: Message) -> tuple[str, int]:
    (size,) = _words(message.payload, 0, 1)
    name, _ = _string(message.payload, 2)
    return name, size


def variable_offsets(variables: list[tuple[str, int]]) -> dict[str, tuple[int, int]]:
    """Name -> (offset, size): variables are laid out in description order."""
    offsets, position = {}, 0
    for name, size in variables:
        offsets[name] = (position, size)
        position += size
    return offsets


def parse_variables(message: Message) -> tuple[int, tuple[int, ...]]:
    """(offset, words) of a VARIABLES message."""
    if len(message.payload) < 2 or len(message.payload) % 2:
        raise BadAnswer("VARIABLES payload must be an even number of bytes")
    (offset,) = _words(message.payload, 0, 1)
    return offset, _words(message.payload, 2, len(message.payload) // 2 - 1)
