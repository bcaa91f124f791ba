"""Group commit: concurrent requests share inserts, each acknowledged only once durable; overload
is refused with 503 + Retry-After instead of queueing without bound."""

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.telemetry.selectors import ingest_accounting
from tests.ingest.factories import agentic_request
from tests.ingest.http_client import post

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True)]
PROTO = {"Content-Type": "application/x-protobuf"}


def _send_concurrently(server, key: str, requests: int, spans: int = 512) -> list:
    bodies = [agentic_request(spans).SerializeToString() for _ in range(requests)]
    with ThreadPoolExecutor(max_workers=requests) as pool:
        return list(pool.map(lambda body: post(server, "/v1/traces", body, {**PROTO, "x-inferops-key": key}),
                             bodies))


def test_concurrent_requests_share_inserts(ingest_server, project, ingest_key):
    stats = ingest_server.runtime.committers["traces"].stats
    before = (stats.batches, stats.envelopes)
    replies = _send_concurrently(ingest_server, ingest_key, 16)
    assert [r.status for r in replies] == [200] * 16
    batches, envelopes = stats.batches - before[0], stats.envelopes - before[1]
    assert envelopes == 16
    assert batches <= 8, f"{envelopes} requests took {batches} inserts"
    now = timezone.now()
    traces = ingest_accounting(project.pk, now - timedelta(hours=1), now + timedelta(minutes=1))[0]
    assert (traces.requests, traces.accepted) == (16, 16 * 512)


def test_overload_is_refused_with_retry_after(slow_commit_server, ingest_key):
    replies = _send_concurrently(slow_commit_server, ingest_key, 3, spans=8)
    refused = [r for r in replies if r.status == 503]
    assert sorted(r.status for r in replies) == [200, 503, 503]
    assert {r.headers["retry-after"] for r in refused} == {"3"}
    assert all(b"ingest queue is full" in r.body for r in refused)


def test_refused_json_requests_get_json_status(slow_commit_server, ingest_key):
    body = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": "5B8EFFF798038103D269B633813FC60C", "spanId": "EEE19B7EC3C1B174", "name": "x"}]}]}]}).encode()
    headers = {"Content-Type": "application/json", "x-inferops-key": ingest_key}
    with ThreadPoolExecutor(max_workers=2) as pool:
        replies = list(pool.map(lambda _: post(slow_commit_server, "/v1/traces", body, headers), range(2)))
    refused = [r for r in replies if r.status == 503]
    assert len(refused) == 1
    assert json.loads(refused[0].body)["code"] == 14


def test_grpc_overload_is_unavailable_with_retry_info(slow_commit_server, ingest_key):
    import grpc
    from google.rpc import error_details_pb2, status_pb2

    body = agentic_request(8).SerializeToString()

    def call(_):
        with grpc.insecure_channel(f"127.0.0.1:{slow_commit_server.grpc_port}") as channel:
            export = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")
            try:
                export(body, metadata=(("x-inferops-key", ingest_key),), timeout=30)
                return None
            except grpc.RpcError as error:
                return error

    with ThreadPoolExecutor(max_workers=2) as pool:
        errors = [e for e in pool.map(call, range(2)) if e is not None]
    assert [e.code() for e in errors] == [grpc.StatusCode.UNAVAILABLE]
    status = status_pb2.Status.FromString(dict(errors[0].trailing_metadata())["grpc-status-details-bin"])
    retry = error_details_pb2.RetryInfo()
    assert status.details[0].Unpack(retry)
    assert retry.retry_delay.seconds == 3


def test_inflight_budget_refuses_beyond_its_limit():
    from ingest.errors import Overloaded
    from ingest.service import ByteBudget

    budget = ByteBudget(100, retry_after_s=4)
    budget.take(80)
    with pytest.raises(Overloaded) as refused:
        budget.take(30)
    assert refused.value.retry_after_s == 4
    budget.give(80)
    budget.take(150)  # an idle budget admits one oversize body rather than starving it forever
    assert budget.used == 150


def _committer_with_queue(ages_and_items: list[tuple[float, int]], now: float, fill_wait_s: float,
                          bytes_each: int = 100):
    """A committer (never started) whose queue holds requests of these ages (s) and item counts."""
    from ingest.committer import GroupCommitter

    committer = GroupCommitter("traces", None, max_items=1000, max_delay_s=0.25, max_pending_bytes=10**4,
                               fill_wait_s=fill_wait_s)
    for age, items in ages_and_items:
        committer.submit(b"x" * bytes_each, items)
        committer._queue[-1].queued_at = committer._last_arrival = now - age
    return committer


@pytest.mark.parametrize(("queue", "free_for", "fill_wait_s", "expected"), [
    ([(0.1, 100)], 0.1, 1.0, 0.15),              # within the linger: until the oldest has waited 0.25 s
    ([(0.5, 100), (0.0, 100)], 0.0, 1.0, 1.0),   # 400 items a second: not full by then, but 600: the whole wait
    ([(0.5, 50)], 0.0, 1.0, 0.0),                # 100 a second: 150 by then, under a quarter of the batch: go
    ([(0.5, 300), (0.0, 300)], 0.0, 1.0, 0.333),  # 1200 a second: the other 400 in a third of a second
    ([(1.5, 450), (0.0, 450)], 0.0, 1.0, 0.167),  # 600 a second (the oldest came during the last insert)
    ([(1.5, 450), (0.0, 450)], 0.9, 1.0, 0.1),   # ... but the writer has already waited 0.9 of its 1 s
    ([(1.5, 450), (0.0, 450)], 1.0, 1.0, 0.0),   # ... or all of it
    ([(0.3, 900)], 0.0, 1.0, 0.0),               # a lone request, however large, is no sustained load
    ([(0.5, 300), (0.0, 300)], 0.0, 0.0, 0.0),   # no fill wait (answers wait for the insert): past the linger, go
    ([(0.5, 499), (0.0, 499)], 0.0, 1.0, 0.01),  # two items short: a short wait, not a spin
    ([(1.0, 100), (0.99, 100), (0.98, 100), (0.97, 100), (0.96, 100)], 0.0, 1.0, 0.0),  # they stopped coming: go
    ([(1.0, 100), (0.99, 100), (0.98, 100), (0.9, 100)], 0.05, 1.0, 0.0),  # ... a few of them, too
    ([(0.5, 60), (0.4, 60), (0.3, 60), (0.2, 60), (0.1, 60)], 0.0, 1.0, 0.41),  # a look again 4 mean gaps on
])
def test_a_batch_waits_to_fill_only_under_sustained_load(queue, free_for, fill_wait_s, expected):
    """Past its linger a batch from the ingest log waits on until it is full or the fill wait after the
    writer became free ends, while requests arrive fast enough (at the rate since its oldest) to bring it
    to a quarter of the batch by then and keep coming; lighter traffic, or a burst that ended, goes as it is."""
    now = 1000.0
    committer = _committer_with_queue(queue, now, fill_wait_s)
    assert committer._linger_s(now - free_for, now) == pytest.approx(expected, abs=1e-3)


def test_a_batch_does_not_wait_at_all_once_requests_have_been_refused():
    """Refused clients back off: a writer that waited on for them would idle with work queued. The
    next batch waits again as usual."""
    from ingest.errors import Overloaded

    now = 1000.0
    committer = _committer_with_queue([(0.1, 100)], now, 1.0, bytes_each=6000)
    with pytest.raises(Overloaded):
        committer.submit(b"x" * 6000, 100)
    assert committer._linger_s(now, now) == 0.0
    assert [p.items for p in committer._take_batch()] == [100]
    committer.submit(b"x" * 100, 100)
    assert committer._linger_s(time.monotonic(), time.monotonic()) > 0.2


def test_a_batch_does_not_wait_to_fill_once_its_bytes_near_the_queues_bound():
    """Requests large in bytes fill the queue's byte bound before the batch's items: waiting on would
    only refuse requests."""
    now = 1000.0
    assert _committer_with_queue([(0.5, 300), (0.0, 300)], now, 1.0, bytes_each=2400)._linger_s(now, now) > 0
    assert _committer_with_queue([(0.5, 300), (0.0, 300)], now, 1.0, bytes_each=2500)._linger_s(now, now) == 0
