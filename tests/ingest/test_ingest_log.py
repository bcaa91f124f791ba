"""The ingest log (ingest/wal.py) on real files, and the committer that acknowledges from it, against
the real chDB warehouse (and a ClickHouse URL where nothing listens, for an outage)."""

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from apps.telemetry.selectors import ingest_accounting, trace_ids_in_window
from ingest.committer import LoggedCommitter
from ingest.decode import decode
from ingest.envelope import envelope
from ingest.errors import BadPayload
from ingest.wal import HEADER, Entry, IngestLog, LogError, Position, Slot
from tests.ingest.factories import agentic_request, deep_unknown_groups
from tests.processes import free_port
from warehouse import Warehouse
from warehouse.config import parse_url

pytestmark = pytest.mark.clickhouse

LIMITS = {"max_items": 65536, "max_delay_s": 0.01, "max_pending_bytes": 10**8}


def _records(count: int, size: int = 100) -> list[Entry]:
    return [Entry(os.urandom(size), index + 1, frozenset({"gauge", "summary"} if index % 2 else set()),
                  project_id=10**12 + index, request_length=size // 2) for index in range(count)]


def _unstored(directory, **kwargs) -> list[Entry]:
    log = IngestLog(directory, **kwargs)
    try:
        return [Entry(r.envelope, r.items, r.kinds, r.project_id, r.request_length) for r in log.unstored()]
    finally:
        log.close()


def test_records_come_back_in_order_after_reopening(tmp_path):
    log = IngestLog(tmp_path, segment_bytes=1000)  # ~9 records a segment: several segments
    records = _records(30)
    positions = log.append(records[:10]) + log.append(records[10:20]) + log.append(records[20:])
    log.close()
    assert positions == sorted(positions) and len({p.segment for p in positions}) == 3
    assert _unstored(tmp_path, segment_bytes=1000) == records


def test_a_checkpoint_skips_stored_records_and_deletes_their_segments(tmp_path):
    log = IngestLog(tmp_path, segment_bytes=1000)
    records = _records(30)
    positions = [log.append([record])[0] for record in records]
    log.checkpoint(positions[24])
    log.close()
    assert _unstored(tmp_path) == records[25:]
    assert min(int(p.stem) for p in tmp_path.glob("*.log")) == positions[24].segment


def _logged_then_appended(folder, records, tail: bytes):
    """Log ``records``, then append raw ``tail`` bytes to the segment as a crash would leave them."""
    log = IngestLog(folder)
    log.append(records)
    log.close()
    segment = next(folder.glob("*.log"))
    with open(segment, "ab") as handle:
        handle.write(tail)
    return segment


def test_a_torn_last_record_is_cut_off_and_kept_aside(tmp_path):
    records = _records(3)
    torn = HEADER.pack(500, 1, 0, 0, 0, 0) + b"partial"  # a crash mid-write: a header promising more than was written
    segment = _logged_then_appended(tmp_path, records, torn)
    assert _unstored(tmp_path) == records
    assert [p.read_bytes() for p in (tmp_path / "corrupt").iterdir()] == [torn]
    assert segment.stat().st_size == sum(HEADER.size + len(r.envelope) for r in records)
    assert _unstored(tmp_path) == records  # cut off once: the next start reads the log cleanly


def test_a_zeroed_tail_is_dropped(tmp_path):
    records = _records(2)
    _logged_then_appended(tmp_path, records, bytes(4096))  # allocated by the file system, never written
    assert _unstored(tmp_path) == records and not (tmp_path / "corrupt").exists()


def test_a_failed_write_goes_on_in_a_new_segment_with_right_positions(tmp_path):
    log = IngestLog(tmp_path)
    records = _records(4)
    log.append(records[:2])
    os.close(log._fd)  # the next write fails (EBADF), as a full disk would fail it
    with pytest.raises(LogError, match="write failed"):
        log.append(records[2:3])
    positions = log.append(records[3:])
    log.close()
    assert positions[0].segment == 2
    assert _unstored(tmp_path) == records[:2] + records[3:]


def test_a_corrupt_record_is_set_aside_and_later_segments_still_replay(tmp_path):
    log = IngestLog(tmp_path, segment_bytes=1000)
    records = _records(20)
    positions = [log.append([record])[0] for record in records]
    log.close()
    first = tmp_path / f"{positions[0].segment:020d}.log"
    data = bytearray(first.read_bytes())
    data[positions[1].offset + HEADER.size + 5] ^= 0xFF  # the third record's payload
    first.write_bytes(bytes(data))
    later = [r for r, p in zip(records, positions, strict=True) if p.segment > positions[0].segment]
    assert _unstored(tmp_path) == records[:2] + later
    assert len(list((tmp_path / "corrupt").iterdir())) == 1


def test_one_process_per_log_and_replicas_take_free_slots(tmp_path):
    log = IngestLog(tmp_path / "a")
    with pytest.raises(LogError, match="in use by another process"):
        IngestLog(tmp_path / "a")
    log.close()
    first, second = Slot(tmp_path), Slot(tmp_path)
    assert (first.path.name, second.path.name) == ("slot-0", "slot-1")
    first.release()
    assert Slot(tmp_path).path.name == "slot-0"  # a replacement takes the dead process's slot over


def _trace_envelope(project_id: int) -> tuple[bytes, set[str]]:
    request = agentic_request(64)
    traces = {s.trace_id.hex().upper() for s in request.resource_spans[0].scope_spans[0].spans}
    decoded = decode("traces", request.SerializeToString(), "protobuf")
    return envelope(decoded.payload, project_id, accepted_items=decoded.accepted), traces


def _stored_traces(project_id: int) -> set[str]:
    now = datetime.now(UTC)
    return set(trace_ids_in_window(project_id, now - timedelta(days=1), now + timedelta(days=1)))


@pytest.fixture
def project_id() -> int:
    return 10**12 + uuid.uuid4().int % 10**9  # the warehouse outlives Django's test database


def test_answers_once_logged_and_stores_afterwards(warehouse, tmp_path, project_id):
    committer = LoggedCommitter("traces", warehouse.writer(), IngestLog(tmp_path), **LIMITS).start()
    sent = [_trace_envelope(project_id) for _ in range(3)]
    pendings = [committer.submit(data, 64, project_id=project_id) for data, _ in sent]
    assert [p.future.result(timeout=30) for p in pendings] == [64, 64, 64]
    assert all(p.stored is not p.future for p in pendings)
    for pending in pendings:
        pending.stored.result(timeout=60)
    assert _stored_traces(project_id) == set().union(*(traces for _, traces in sent))
    committer.stop()
    assert _unstored(tmp_path) == []  # checkpointed: a restart replays nothing


def test_an_outage_is_ridden_out_in_the_log_and_replayed_at_the_next_start(warehouse, tmp_path, project_id):
    down = Warehouse(parse_url(f"clickhouse://default:@127.0.0.1:{free_port()}/default"))
    committer = LoggedCommitter("traces", down, IngestLog(tmp_path), stop_retrying_s=0.5, **LIMITS).start()
    data, traces = _trace_envelope(project_id)
    pending = committer.submit(data, 64, project_id=project_id)
    assert pending.future.result(timeout=30) == 64  # acknowledged: it is on disk
    committer.stop()
    assert not pending.stored.done() and _stored_traces(project_id) == set()
    replaying = LoggedCommitter("traces", warehouse.writer(), IngestLog(tmp_path), **LIMITS).start()
    assert replaying.replayed == 1
    replaying.stop()
    assert _stored_traces(project_id) == traces


def test_an_envelope_the_warehouse_refuses_after_the_answer_is_set_aside_and_counted(warehouse, tmp_path,
                                                                                  project_id):
    committer = LoggedCommitter("traces", warehouse.writer(), IngestLog(tmp_path), **LIMITS).start()
    good, traces = _trace_envelope(project_id)
    poison = b"\x05\xff\xff\xff\xff\xff"  # a length-delimited message whose only field is malformed
    refused, kept = committer.submit(poison, 7, project_id=project_id), committer.submit(good, 64)
    assert refused.future.result(timeout=30) == 7 and kept.future.result(timeout=30) == 64
    with pytest.raises(BadPayload):
        refused.stored.result(timeout=60)
    kept.stored.result(timeout=60)
    committer.stop()
    assert _stored_traces(project_id) == traces
    assert [p.read_bytes() for p in (tmp_path / "rejected").iterdir()] == [poison]
    now = datetime.now(UTC)
    traces_row = ingest_accounting(project_id, now - timedelta(hours=1), now + timedelta(hours=1))[0]
    assert (traces_row.signal, traces_row.rejected) == ("traces", 7)
    assert _unstored(tmp_path) == []


def test_a_repairable_envelope_is_repaired_not_set_aside(warehouse, tmp_path, project_id):
    committer = LoggedCommitter("traces", warehouse.writer(), IngestLog(tmp_path), **LIMITS).start()
    request = agentic_request(64)
    traces = {s.trace_id.hex().upper() for s in request.resource_spans[0].scope_spans[0].spans}
    # Unknown groups nested 70 deep: valid protobuf, which ClickHouse's reader and the span rows' walk
    # refuse; the committer drops unknown fields and stores the rest.
    body = request.SerializeToString() + deep_unknown_groups()
    pending = committer.submit(envelope(body, project_id, accepted_items=64), 64, project_id=project_id,
                               request_length=len(body))
    assert pending.stored.result(timeout=60) == 64
    committer.stop()
    assert _stored_traces(project_id) == traces and not (tmp_path / "rejected").exists()


def test_positions_order_by_segment_then_offset():
    assert Position(1, 900) < Position(2, 10) < Position(2, 11)


@pytest.fixture
def logged_server(transactional_db, warehouse, settings, tmp_path):
    from tests.conftest import IngestServerThread

    settings.INGEST_LOG_DIR = tmp_path
    server = IngestServerThread(warehouse.writer(), ack="logged").start()
    yield server
    server.stop()


def test_http_export_is_answered_from_the_log_and_readable_soon_after(logged_server, project, ingest_key, tmp_path):
    import http.client
    import time

    request = agentic_request(512)
    traces = {s.trace_id.hex().upper() for s in request.resource_spans[0].scope_spans[0].spans}
    connection = http.client.HTTPConnection("127.0.0.1", logged_server.http_port, timeout=30)
    connection.request("POST", "/v1/traces", request.SerializeToString(),
                       {"Content-Type": "application/x-protobuf", "x-inferops-key": ingest_key})
    assert connection.getresponse().status == 200
    assert list((tmp_path / "slot-0" / "traces").glob("*.log"))  # what was answered is on disk
    deadline = time.monotonic() + 60
    while _stored_traces(project.pk) != traces:
        assert time.monotonic() < deadline, "acknowledged spans never reached the warehouse"
        time.sleep(0.1)
    committer = logged_server.runtime.committers["traces"]
    assert committer.stats.items == 512


def test_a_log_no_running_process_holds_is_stored_at_start(warehouse, settings, tmp_path, project_id):
    """A replica scaled away (or a switch to INGEST_ACK=stored) leaves acknowledged envelopes in its
    slot: the next ingest process to start stores them before taking requests."""
    from tests.conftest import IngestServerThread

    data, traces = _trace_envelope(project_id)
    log = IngestLog(tmp_path / "slot-3" / "traces")
    log.append([Entry(data, 64)])
    log.close()
    settings.INGEST_LOG_DIR = tmp_path
    server = IngestServerThread(warehouse.writer(), ack="stored").start()
    try:
        assert _stored_traces(project_id) == traces
        assert _unstored(tmp_path / "slot-3" / "traces") == []
    finally:
        server.stop()


def test_the_ingest_log_command_shows_backlog_and_what_was_set_aside(settings, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    settings.INGEST_LOG_DIR = tmp_path
    slot = Slot(tmp_path)
    log = IngestLog(slot.path / "traces")
    first = log.append(_records(1, size=1000))[0]
    log.append(_records(2, size=500))
    log.checkpoint(first)
    (slot.path / "traces" / "rejected").mkdir()
    (slot.path / "traces" / "rejected" / "x.envelope").write_bytes(b"x")
    out = StringIO()
    call_command("ingest_log", stdout=out)
    assert out.getvalue().splitlines()[1].split() == ["slot-0", "traces", "yes", str(2 * (HEADER.size + 500)), "1", "0"]
    log.close()
    slot.release()
    out = StringIO()
    call_command("ingest_log", stdout=out)
    assert out.getvalue().splitlines()[1].split()[2] == "no"
