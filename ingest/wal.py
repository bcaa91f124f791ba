"""The ingest log: envelopes made durable on local disk before they are acknowledged.

Acknowledging a request only once ClickHouse has stored its rows ties every answer to an insert
that plans a dozen views and writes several parts (a few hundred milliseconds, whatever its size).
Appending the envelope to this log and syncing it takes about a millisecond; the committer then
inserts from memory in large batches and records in a checkpoint how far the log is stored. A
restart replays what lies past the checkpoint, so a process killed at any moment loses nothing it
acknowledged. A crash between an insert and its checkpoint replays that batch once more (rows are
then stored twice, as when a client retries a request whose answer it never got).

On disk, one folder per signal: segments ``<sequence>.log`` of records, each a header (payload length,
items, kinds, CRC-32 of the rest) and the envelope; ``checkpoint`` holds the sequence and offset up to
which everything is stored. A torn record at the end of the last segment (a crash mid-write, before
the request was answered) is cut off; a corrupt one elsewhere is set aside in ``corrupt/``.
"""

import fcntl
import logging
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

# payload bytes, then what the committer needs to handle the envelope alone (items, metric kinds,
# project, length of the OTLP request inside it), then a CRC-32 of those fields and the payload
HEADER = struct.Struct("<IIBQII")
FIELDS = struct.Struct("<IBQI")
SEGMENT_BYTES = 64 * 1024 * 1024
KINDS = ("gauge", "sum", "histogram", "exponential_histogram", "summary")
MAX_WRITE_PARTS = 512  # buffers per writev call (the system limit is 1024)


class LogError(Exception):
    """The log cannot be opened or written (locked by another process, disk full, …)."""


@dataclass(frozen=True, order=True)
class Position:
    """Where a record ends: segment sequence number and byte offset."""

    segment: int
    offset: int


@dataclass(frozen=True)
class Entry:
    """What the log keeps of a request: its envelope and what the committer needs to handle it alone."""

    envelope: bytes
    items: int
    kinds: frozenset[str] = frozenset()
    project_id: int = 0
    request_length: int = 0  # of the OTLP request at the head of the envelope (0: unknown)


@dataclass(frozen=True)
class Record(Entry):
    position: Position = Position(0, 0)


def kinds_mask(kinds: frozenset[str]) -> int:
    return sum(1 << KINDS.index(kind) for kind in kinds)


def mask_kinds(mask: int) -> frozenset[str]:
    return frozenset(kind for bit, kind in enumerate(KINDS) if mask & (1 << bit))


def _checksum(items: int, mask: int, project_id: int, request_length: int, payload: bytes) -> int:
    return zlib.crc32(payload, zlib.crc32(FIELDS.pack(items, mask, project_id, request_length)))


class IngestLog:
    """One signal's log. Not thread-safe: one writer thread appends, one committer checkpoints,
    and the two touch disjoint state except the segment list, guarded by the caller's order."""

    def __init__(self, directory: Path, segment_bytes: int = SEGMENT_BYTES):
        self.directory = directory
        self.segment_bytes = segment_bytes
        _make_durable_folder(directory)
        self._lock = _lock(directory)
        self.checkpointed = self._read_checkpoint()
        self._segment = max(self._segments(), default=0) + 1
        self._fd = -1
        self._size = 0

    # -- recovery ---------------------------------------------------------------------------------
    def unstored(self) -> Iterator[Record]:
        """Every record past the checkpoint, in order; call before the first append."""
        for segment in self._segments():
            if segment < self.checkpointed.segment:
                continue
            start = self.checkpointed.offset if segment == self.checkpointed.segment else 0
            yield from self._read(segment, start)

    def _read(self, segment: int, start: int) -> Iterator[Record]:
        path = self._path(segment)
        data = path.read_bytes()
        offset = start
        while offset < len(data):
            record = _parse(data, offset, segment)
            if record is None:
                self._set_aside(segment, data, offset)
                return
            offset = record.position.offset
            yield record

    def _set_aside(self, segment: int, data: bytes, offset: int) -> None:
        """Cut an unreadable tail off its segment, keeping a copy in ``corrupt/``. A record cut short at
        the end of the newest segment is most likely a write that crashed before it was synced (never
        acknowledged); anything else is corruption. A tail of zeros (allocated, never written) is dropped."""
        if not _zero_tail(data, offset):
            torn = segment == max(self._segments()) and _cut_short(data, offset)
            write_synced(self.directory / "corrupt", f"{segment:020d}-{offset}.bin", data[offset:])
            (logger.warning if torn else logger.error)(
                "ingest log: unreadable records set aside" + (" (a write cut short by a crash)" if torn else ""),
                extra={"log": str(self.directory), "segment": segment, "offset": offset})
        with open(self._path(segment), "r+b") as handle:
            handle.truncate(offset)
            os.fsync(handle.fileno())

    # -- writing ----------------------------------------------------------------------------------
    def append(self, entries: list[Entry]) -> list[Position]:
        """Write the entries and sync them to disk; returns where each ends."""
        if self._fd < 0 or self._size >= self.segment_bytes:
            self._rotate()
        parts: list[bytes] = []
        positions = []
        offset = self._size
        for entry in entries:
            mask = kinds_mask(entry.kinds)
            checksum = _checksum(entry.items, mask, entry.project_id, entry.request_length, entry.envelope)
            parts.append(HEADER.pack(len(entry.envelope), entry.items, mask, entry.project_id, entry.request_length,
                                     checksum))
            parts.append(entry.envelope)
            offset += HEADER.size + len(entry.envelope)
            positions.append(Position(self._segment, offset))
        try:
            for start in range(0, len(parts), MAX_WRITE_PARTS):
                _write_all(self._fd, parts[start:start + MAX_WRITE_PARTS])
            os.fdatasync(self._fd)
        except OSError as exc:
            self._abandon_segment()
            raise LogError(f"ingest log write failed: {exc}") from exc
        self._size = offset
        return positions

    def _rotate(self) -> None:
        if self._fd >= 0:
            self._close_segment()
        self._fd = os.open(self._path(self._segment), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._size = os.fstat(self._fd).st_size
        _sync_directory(self.directory)

    def _close_segment(self) -> None:
        fd, self._fd = self._fd, -1
        self._segment += 1
        os.close(fd)

    def _abandon_segment(self) -> None:
        """After a failed write, whatever part of it reached the file is garbage to a reader: cut it
        off, and go on in a new segment, so positions stay right even if the cut fails (a reader then
        sets the garbage aside: it was never acknowledged)."""
        try:
            os.ftruncate(self._fd, self._size)
        except OSError:
            logger.exception("ingest log: could not cut off a failed write", extra={"log": str(self.directory)})
        try:
            self._close_segment()
        except OSError:
            logger.exception("ingest log: could not close a failed segment", extra={"log": str(self.directory)})

    # -- checkpoints ------------------------------------------------------------------------------
    def checkpoint(self, position: Position) -> None:
        """Everything up to ``position`` is stored: record it and delete segments wholly before it."""
        temporary = self.directory / "checkpoint.tmp"
        with open(temporary, "wb") as handle:
            handle.write(f"{position.segment} {position.offset}\n".encode())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.directory / "checkpoint")
        _sync_directory(self.directory)
        self.checkpointed = position
        for segment in self._segments():
            if segment < position.segment:
                self._path(segment).unlink(missing_ok=True)

    def _read_checkpoint(self) -> Position:
        try:
            segment, offset = (self.directory / "checkpoint").read_text().split()
            return Position(int(segment), int(offset))
        except FileNotFoundError:
            return Position(0, 0)
        except ValueError as exc:
            raise LogError(f"ingest log checkpoint {self.directory / 'checkpoint'} is unreadable: {exc}") from exc

    def close(self) -> None:
        if self._fd >= 0:
            self._close_segment()
        os.close(self._lock)

    def _segments(self) -> list[int]:
        return sorted(int(path.stem) for path in self.directory.glob("*.log") if path.stem.isdigit())

    def _path(self, segment: int) -> Path:
        return self.directory / f"{segment:020d}.log"


def _parse(data: bytes, offset: int, segment: int) -> Record | None:
    if offset + HEADER.size > len(data):
        return None
    length, items, mask, project_id, request_length, checksum = HEADER.unpack_from(data, offset)
    end = offset + HEADER.size + length
    if end > len(data):
        return None
    envelope = data[offset + HEADER.size:end]
    if _checksum(items, mask, project_id, request_length, envelope) != checksum:
        return None
    return Record(envelope, items, mask_kinds(mask), project_id, request_length, Position(segment, end))


def _cut_short(data: bytes, offset: int) -> bool:
    return offset + HEADER.size > len(data) or offset + HEADER.size + HEADER.unpack_from(data, offset)[0] > len(data)


def _zero_tail(data: bytes, offset: int) -> bool:
    """A crash can leave the end of a file allocated but never written (zeros)."""
    return not data[offset:].strip(b"\0")


def _write_all(fd: int, parts: list[bytes]) -> None:
    written = os.writev(fd, parts)
    total = sum(len(part) for part in parts)
    if written < total:  # a short write: finish the rest byte-exactly
        rest = b"".join(parts)[written:]
        while rest:
            rest = rest[os.write(fd, rest):]


def write_synced(folder: Path, name: str, data: bytes) -> Path:
    """Write a file and sync it (and its folder) before returning: it may be the only copy."""
    folder.mkdir(exist_ok=True)
    path = folder / name
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    _sync_directory(folder)
    return path


def _make_durable_folder(directory: Path) -> None:
    """Create ``directory`` (and missing parents), syncing each new entry into its parent: a
    segment synced into a folder whose own entry a power cut forgets would be lost with it."""
    missing = []
    path = directory
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir(exist_ok=True)
        _sync_directory(folder.parent)


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class LogStatus:
    slot: str
    signal: str
    in_use: bool  # a running process holds the slot
    unstored_bytes: int  # past the checkpoint: acknowledged, not yet in the warehouse
    rejected: int  # envelopes the warehouse refused after they were answered
    corrupt: int  # unreadable stretches set aside at recovery


def status(base: Path) -> list[LogStatus]:
    """What every slot's logs hold, read without disturbing the processes writing them."""
    rows = []
    for slot in sorted(base.glob("slot-*")) if base.is_dir() else []:
        in_use = _held(slot)
        for folder in sorted(p for p in slot.iterdir() if p.is_dir()):
            rows.append(LogStatus(slot.name, folder.name, in_use, unstored_bytes(folder),
                                  _count(folder / "rejected"), _count(folder / "corrupt")))
    return rows


def unstored_bytes(folder: Path) -> int:
    """Bytes of records past the checkpoint (an estimate while a process is writing)."""
    try:
        segment, offset = (int(x) for x in (folder / "checkpoint").read_text().split())
    except (FileNotFoundError, ValueError):
        segment, offset = 0, 0
    total = 0
    for path in folder.glob("*.log"):
        if path.stem.isdigit() and int(path.stem) >= segment:
            total += max(0, path.stat().st_size - (offset if int(path.stem) == segment else 0))
    return total


def _count(folder: Path) -> int:
    return sum(1 for _ in folder.iterdir()) if folder.is_dir() else 0


def _held(slot: Path) -> bool:
    try:
        os.close(_lock(slot))
    except LogError:
        return True
    return False


class Slot:
    """A numbered folder of ``base`` that this process holds (locked) while it runs. Ingest replicas
    sharing one volume each take a free one; a replacement for a process that died takes its slot
    over and replays what it left."""

    def __init__(self, base: Path, limit: int = 64):
        for number in range(limit):
            path = base / f"slot-{number}"
            _make_durable_folder(path)
            try:
                self._fd = _lock(path)
            except LogError:
                continue
            self.path = path
            return
        raise LogError(f"all {limit} ingest log slots under {base} are in use by other processes")

    def release(self) -> None:
        os.close(self._fd)

    @classmethod
    def orphans(cls, base: Path) -> Iterator[Path]:
        """Slots no running process holds (a replica scaled away, or a log left by the other
        acknowledgement mode), each locked while the caller handles it."""
        for path in sorted(base.glob("slot-*")):
            try:
                fd = _lock(path)
            except LogError:
                continue
            try:
                yield path
            finally:
                os.close(fd)


def _lock(directory: Path) -> int:
    fd = os.open(directory / "LOCK", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        os.close(fd)
        raise LogError(f"ingest log {directory} is in use by another process: give each ingest process "
                       "its own INFEROPS_INGEST_LOG_DIR") from exc
    return fd
