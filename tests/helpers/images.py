"""Image files tests build by hand (headers that lie, sizes no test could afford to decode)."""

import struct
import zlib


def png_bytes(width: int, height: int, full: bool = False) -> bytes:
    """A gray 8-bit PNG claiming ``width`` x ``height``; ``full`` writes all (zero) rows, else a truncated IDAT."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    if full:
        comp, rows = zlib.compressobj(1), b"\0" * ((width + 1) * 1000)
        idat = b"".join([comp.compress(rows) for _ in range(height // 1000)] + [comp.flush()])
    else:
        idat = zlib.compress(b"\0" * 64)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
