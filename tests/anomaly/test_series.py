"""Per-GPU series, from exporter metrics posted through the real ingest path: two DCGM GPUs on one node
(GPU 1 starts throttling, GPU 0 reports an XID error) and an OpenTelemetry hw.* GPU on another (an
XID among steady corrected-ECC counts). The scan opens an anomaly on exactly the GPUs affected, with
throttling read from DCGM's violation counters and XID errors counted as events. Also the pieces the
series are made of: XID events and counter increases, and the significance test of a share."""

import random
import urllib.request
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

from apps.anomaly import scan, services
from apps.anomaly.models import Anomaly

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True)]

MINUTES, STEP_S = 100, 15
THROTTLE_FROM, XID_AT, HW_XID_AT = 90, 94, 95      # minutes into the data


def _start() -> datetime:
    return (datetime.now(UTC) - timedelta(minutes=MINUTES + 5)).replace(second=0, microsecond=0)


def _attrs(target, labels: dict) -> None:
    for key, value in labels.items():
        target.add(key=key).value.string_value = value


def _dcgm(request: ExportMetricsServiceRequest, start: datetime, rng: random.Random) -> None:
    resource = request.resource_metrics.add()
    _attrs(resource.resource.attributes, {"service.name": "dcgm-exporter", "host.name": "gpu-node-a"})
    metrics = resource.scope_metrics.add().metrics
    util, temp, xid = (metrics.add(name=n).gauge for n in ("DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_GPU_TEMP",
                                                            "DCGM_FI_DEV_XID_ERRORS"))
    thermal = metrics.add(name="DCGM_FI_DEV_THERMAL_VIOLATION").sum
    thermal.aggregation_temporality, thermal.is_monotonic = 2, True
    for gpu in (0, 1):
        violation_ns = 0
        for step in range(MINUTES * 60 // STEP_S):
            minute, at = step * STEP_S // 60, int((start + timedelta(seconds=step * STEP_S)).timestamp() * 1e9)
            throttled = gpu == 1 and minute >= THROTTLE_FROM
            violation_ns += int(0.8 * STEP_S * 1e9) if throttled else 0
            for gauge, value in ((util, 70 + rng.gauss(0, 3)), (temp, 62 + rng.gauss(0, 1) + (8 if throttled else 0)),
                                 (xid, 79 if gpu == 0 and minute == XID_AT and step % 4 == 1 else 0)):
                point = gauge.data_points.add(time_unix_nano=at, as_double=value)
                _attrs(point.attributes, {"gpu": str(gpu), "Hostname": "gpu-node-a"})
            point = thermal.data_points.add(time_unix_nano=at, as_int=violation_ns)
            _attrs(point.attributes, {"gpu": str(gpu)})


def _hw(request: ExportMetricsServiceRequest, start: datetime) -> None:
    resource = request.resource_metrics.add()
    _attrs(resource.resource.attributes, {"service.name": "node-exporter", "host.name": "hw-node-b"})
    errors = resource.scope_metrics.add().metrics.add(name="hw.errors").sum
    errors.aggregation_temporality, errors.is_monotonic = 2, True
    for step in range(MINUTES * 60 // STEP_S):
        minute, at = step * STEP_S // 60, int((start + timedelta(seconds=step * STEP_S)).timestamp() * 1e9)
        for kind, count in (("xid", 3 + (1 if minute >= HW_XID_AT else 0)), ("corrected", 10 + step)):
            point = errors.data_points.add(time_unix_nano=at, as_int=count)
            _attrs(point.attributes, {"hw.id": "GPU-b0", "hw.type": "gpu", "gpu.index": "0", "error.type": kind})


@pytest.fixture
def gpu_metrics(ingest_server, project, ingest_key):
    start, request = _start(), ExportMetricsServiceRequest()
    _dcgm(request, start, random.Random(5))
    _hw(request, start)
    http = urllib.request.Request(f"{ingest_server.http_url}/v1/metrics", data=request.SerializeToString(),
                                  method="POST", headers={"Content-Type": "application/x-protobuf",
                                                          "x-inferops-key": ingest_key})
    with urllib.request.urlopen(http, timeout=30) as response:
        assert response.status == 200
    return project, start


def _opened(project) -> set[tuple[str, str, str]]:
    return set(Anomaly.objects.filter(project=project).values_list("series", "dimension", "value"))


def test_a_throttling_gpu_and_xid_errors_open_anomalies_on_exactly_those_gpus(gpu_metrics):
    project, start = gpu_metrics
    assert services.scan_project(project, start + timedelta(minutes=XID_AT - 2))["opened"] == [], "quiet before"
    services.scan_project(project, start + timedelta(minutes=HW_XID_AT + 3))
    assert _opened(project) == {("gpu.throttled", "gpu", "gpu-node-a/1"), ("gpu.xid_errors", "gpu", "gpu-node-a/0"),
                                ("gpu.xid_errors", "gpu", "hw-node-b/0"), ("gpu.temperature", "gpu", "gpu-node-a/1")}
    throttled = Anomaly.objects.get(project=project, series="gpu.throttled")
    assert throttled.observed == pytest.approx(0.8, abs=0.05) and throttled.expected == 0
    assert throttled.started_at == start + timedelta(minutes=THROTTLE_FROM)
    xid = Anomaly.objects.get(project=project, series="gpu.xid_errors", value="gpu-node-a/0")
    assert (xid.observed, xid.started_at) == (1, start + timedelta(minutes=XID_AT))
    assert "XID errors of gpu gpu-node-a/0 rose" in xid.diagnosis.summary
    assert sorted(xid.diagnosis.evidence["hosts"]) == ["gpu-node-a"], "the GPU's host is shown with the diagnosis"


def test_xid_events_count_a_new_code_once_and_a_held_or_cleared_code_not_again():
    grid = np.array(pl.datetime_range(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 0, 6, tzinfo=UTC),
                                      "1m", closed="left", time_zone="UTC", eager=True).to_list())
    rows = pl.DataFrame({"at": list(grid), "opening": [0.0, 0, 43, 43, 0, 31], "high": [0.0, 43, 43, 43, 31, 43],
                         "last": [0.0, 43, 43, 0, 31, 31], "codes": [0, 1, 1, 1, 1, 2]}
                        ).with_columns(pl.col("at").dt.cast_time_unit("us"))
    # 1: 0 → 43 within the minute; 2: 43 held; 3: 43 clears to 0; 4: a new code; 5: 31, then 43 again.
    assert scan._xid_events(rows, grid).tolist() == [0, 1, 0, 0, 1, 1]
    counter = rows.with_columns(pl.Series("last", [5.0, 5, 7, 2, None, 4]))
    assert np.isnan(scan._increase(counter, grid)[0]) and np.isnan(scan._increase(counter, grid)[4])
    assert scan._increase(counter, grid)[[1, 2, 3, 5]].tolist() == [0, 2, 2, 2], \
        "a reset counts the new value; a minute without a sample is bridged"
    assert scan._elapsed(counter, grid)[[1, 5]].tolist() == [1, 2]


def test_a_share_must_exceed_its_history_beyond_chance():
    # 1,000 calls a minute for two hours with one error in about 2,000; then two errors in seven minutes
    # is chance, twenty is a burst.
    items = np.full(127, 1000.0)
    quiet = np.r_[np.tile([0, 1], 60), [0, 1, 0, 0, 1, 0, 0]].astype(float)
    burst = np.r_[quiet[:-7], [3, 3, 3, 3, 3, 3, 2]]
    assert not scan.significant(quiet, items, 7) and scan.significant(burst, items, 7)
    assert scan.poisson_tail(10, 2.0) == pytest.approx(4.6498e-05, rel=1e-3)   # 1 − Σ_{i<10} e⁻² 2ⁱ/i!
    assert scan.poisson_tail(1, 3.0) == 1.0, "at or below the mean is never an excess"
