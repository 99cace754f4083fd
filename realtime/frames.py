"""A websocket text frame as a server sends it (RFC 6455 §5.2): one unfragmented, unmasked message.

Built once per event and operation id and written as is to every connection that wants it. It has RSV1
unset, so it is an uncompressed message even where permessage-deflate was negotiated: RFC 7692 lets a
sender leave any message uncompressed, and a receiver inflates only messages with RSV1 set.
"""

from __future__ import annotations

import struct

_FIN_TEXT = 0x81
_SHORT = struct.Struct("!BB")
_MEDIUM = struct.Struct("!BBH")
_LONG = struct.Struct("!BBQ")


def text_frame(text: str) -> bytes:
    payload = text.encode()
    length = len(payload)
    if length < 126:
        head = _SHORT.pack(_FIN_TEXT, length)
    elif length < 1 << 16:
        head = _MEDIUM.pack(_FIN_TEXT, 126, length)
    else:
        head = _LONG.pack(_FIN_TEXT, 127, length)
    return head + payload
