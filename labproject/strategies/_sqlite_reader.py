"""The reading half of the SQLite pipeline, run as its own small process (no Django).

``python -m labproject.strategies._sqlite_reader PATH TABLE BATCH`` walks the table in keyset batches on
its own connection, calculates every row, and writes each batch to stdout as a frame: a 4-byte
length, then the packed int64 values and pks. An empty frame ends the stream. The pipe's buffer
bounds how far the reader runs ahead of the writer, so memory stays flat at any table size.
"""

from __future__ import annotations

import sqlite3
import struct
import sys
from collections.abc import Iterator

from labproject.strategies._codec import pack

FRAME = struct.Struct("<I")


def read_batches(path: str, table: str, batch_size: int) -> Iterator[bytes]:
    """Yield packed batches in pk order, read with ``id > last`` on a connection of their own."""
    reader = sqlite3.connect(path, isolation_level=None)
    sql = f'SELECT "id", "data" FROM "{table}" WHERE "id" > ? ORDER BY "id" LIMIT ?'
    last = 0
    try:
        while rows := reader.execute(sql, (last, batch_size)).fetchall():
            yield pack(rows)
            last = rows[-1][0]
    finally:
        reader.close()


def main(argv: list[str]) -> int:
    from labproject.processes import die_with_parent

    die_with_parent()
    path, table, batch_size = argv[0], argv[1], int(argv[2])
    out = sys.stdout.buffer
    for frame in read_batches(path, table, batch_size):
        out.write(FRAME.pack(len(frame)))
        out.write(frame)
    out.write(FRAME.pack(0))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
