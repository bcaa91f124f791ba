"""The overview and GPU fleet read from what the ingest path wrote (the simulator's OTLP traffic)."""

import csv
import io
import math
from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytest

from apps.dashboards.compute import ALL
from apps.dashboards.selectors import dimension_values, gpu_fleet, overview, spans_on_gpu
from apps.slo.sli import LLM_OPERATIONS
from apps.telemetry.query import Filters, Window
from frontend.charts import line_figure
from tests.personas import client_for

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db]


def dataset_window(dataset) -> Window:
    start = datetime.fromisoformat(dataset.truth["window"]["start"].replace("Z", "+00:00")) - timedelta(minutes=2)
    return Window(start, dataset.ended + timedelta(minutes=2), "")


def test_every_generated_request_is_counted_once_and_groups_add_up(explore_dataset):
    result = overview(explore_dataset.project_id, dataset_window(explore_dataset), Filters(), group_by="tenant",
                      scope="requests")
    by_tenant = {g["grp"]: g["requests"] for g in result["groups"]}
    generated = explore_dataset.truth["generated"]["traces_by_tenant"]
    assert result["totals"]["requests"] == explore_dataset.truth["generated"]["traces"] + 1  # + the XSS trace
    assert {t: by_tenant.get(t) for t in generated} == generated
    assert sum(by_tenant.values()) == result["totals"]["requests"]
    assert result["totals"]["duration_p50_ms"] <= result["totals"]["duration_p95_ms"] <= result["totals"]["duration_p99_ms"]


def test_a_filter_narrows_to_one_service_and_the_series_sum_to_the_totals(explore_dataset):
    service = sorted(explore_dataset.truth["sent"]["spans_by_service"])[0]
    result = overview(explore_dataset.project_id, dataset_window(explore_dataset),
                      Filters({"service": [service]}), group_by="service", scope="requests")
    assert [g["grp"] for g in result["groups"]] == [service]
    overall = [row for row in result["series"] if row["grp"] == ALL]
    assert sum(row["requests"] for row in overall) == result["totals"]["requests"] > 0
    assert set(result["figures"]) == {"rate", "errors", "latency", "latency_by_group", "ttft", "tpot", "tokens", "cost"}


def test_grouping_by_model_counts_llm_calls_with_ttft_and_tokens(explore_dataset):
    result = overview(explore_dataset.project_id, dataset_window(explore_dataset), Filters(), group_by="model",
                      scope="llm_calls")
    assert result["totals"]["requests"] == result["totals"]["llm_calls"] > 0
    assert result["totals"]["ttft_p95_ms"] > 0 and result["totals"]["tokens_per_s"] > 0
    assert all(g["grp"] for g in result["groups"])


def test_cost_per_hour_by_model_comes_from_the_ledger_and_adds_up(explore_dataset):
    window = dataset_window(explore_dataset)
    result = overview(explore_dataset.project_id, window, Filters(), group_by="model", scope="llm_calls")
    costs = {g["grp"]: g["cost"] for g in result["groups"]}
    assert costs["gpt-4o-2024-08-06"] > 0 and costs["claude-sonnet-4-5-20250929"] > 0, "list prices"
    assert costs["meta-llama/Llama-3.3-70B-Instruct"] > 0, "self-hosted models are priced by GPU time"
    # Over the whole minutes the window touches (ledger lines sit on minutes).
    start = window.start.replace(second=0, microsecond=0)
    end = window.end.replace(second=0, microsecond=0) + timedelta(minutes=1)
    hours = (end - start).total_seconds() / 3600
    assert result["totals"]["cost_per_hour"] == pytest.approx(result["totals"]["cost"] / hours)
    # The total also holds idle GPU time, which belongs to no model.
    assert result["totals"]["cost"] >= sum(costs.values()) - 1e-9
    overall = [r for r in result["cost_series"] if r["grp"] == ALL]
    assert sum(r["total_cost"] for r in overall) == pytest.approx(result["totals"]["cost"])
    assert result["figures"]["cost"]["data"]


def test_filter_menus_offer_what_was_seen(explore_dataset):
    window = dataset_window(explore_dataset)
    values = dimension_values(explore_dataset.project_id, window.start, window.end)
    assert set(explore_dataset.truth["generated"]["traces_by_tenant"]) <= set(values["tenant"])
    assert set(explore_dataset.truth["sent"]["spans_by_service"]) - {"<svc onload=alert(1)>"} <= set(values["service"])


def test_the_gpu_fleet_lists_every_gpu_and_which_requests_ran_on_one(explore_dataset):
    window = dataset_window(explore_dataset)
    fleet = gpu_fleet(explore_dataset.project_id, window, [])
    gpus = {(g["host"], g["gpu_id"]) for g in fleet["gpus"]}
    assert len(gpus) == sum(node["gpus"] for node in explore_dataset.truth["fleet"]["nodes"])
    assert all(0 <= g["utilization"] <= 100 and g["memory_used"] > 0 for g in fleet["gpus"])
    assert {s["model_name"] for s in fleet["servers"]} and "gpu_utilization" in fleet["figures"]
    busiest = max(fleet["gpus"], key=lambda g: g["utilization"])
    served = spans_on_gpu(explore_dataset.project_id, window, busiest["host"], busiest["gpu_id"], limit=20)
    assert served.height > 0
    assert set(served["gpu_id"]) == {busiest["gpu_id"]}
    assert served["duration_ns"].to_list() == sorted(served["duration_ns"].to_list(), reverse=True)


def test_a_project_without_data_has_no_totals(project, explore_dataset):
    result = overview(project.pk, dataset_window(explore_dataset), Filters(), group_by="service", scope="requests")
    assert result["totals"] is None and result["groups"] == [] and result["series"] == []


def test_chart_names_from_telemetry_are_escaped_for_plotly():
    figure = line_figure("t", "ms", [{"name": '<a href="https://evil">x</a>', "x": [], "y": []}])
    assert figure["data"][0]["name"] == '&lt;a href="https://evil"&gt;x&lt;/a&gt;'


def test_the_group_and_gpu_tables_download_as_csv(explore_project, explore_dataset):
    window = dataset_window(explore_dataset)
    query = urlencode({"start": window.start.isoformat(), "end": window.end.isoformat(), "group_by": "tenant"})
    client = client_for(explore_project, "viewer")

    def table(path: str) -> list[dict]:
        response = client.get(f"/api/v1/projects/{explore_project.pk}/{path}")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    groups = {row["tenant"]: int(row["requests"]) for row in table(f"overview.csv?{query}")}
    assert {t: groups[t] for t in explore_dataset.truth["generated"]["traces_by_tenant"]} == \
        explore_dataset.truth["generated"]["traces_by_tenant"]
    gpus = table(f"gpus.csv?{query}&table=gpus")
    assert len(gpus) == sum(node["gpus"] for node in explore_dataset.truth["fleet"]["nodes"])
    assert {row["model_name"] for row in table(f"gpus.csv?{query}&table=servers")}


@pytest.fixture
def sealed(explore_dataset):
    """The coarse rollups sealed past the dataset (as the periodic task would, hours later); emptied
    afterwards, so that no other test finds hours sealed before its own data arrived."""
    from warehouse import get_warehouse, rollups

    warehouse = get_warehouse()
    yield rollups.seal(warehouse, explore_dataset.ended + timedelta(hours=8))
    for table in (*TIER_TABLES, "rollup_seals"):
        warehouse.command(f"TRUNCATE TABLE {table}")


TIER_TABLES = ("span_rollup_1h_dims", "span_rollup_3h_dims", "span_rollup_6h_dims")


@pytest.mark.parametrize(("group_by", "scope", "filtered", "days", "step_s"), [
    ("tenant", "requests", False, 4, 3600), ("model", "llm_calls", True, 4, 3600), ("service", "requests", True, 29, 21600),
    ("endpoint", "requests", False, 29, 21600), ("tenant", "requests", True, 7, 10800), ("model", "llm_calls", False, 7, 10800)])
def test_long_windows_read_the_sealed_rollups_and_match_the_minute_rollup(explore_dataset, sealed, group_by, scope,
                                                                          filtered, days, step_s):
    """Days-long windows ending after the data and starting mid-hour: whole six-hour blocks (when the
    buckets are six hours), three-hour blocks (buckets of three) and hours from the sealed rollups,
    partial hours from the minute rollup;
    counts and tokens are exactly those of the minute rollup, quantiles within a t-digest's error."""
    from apps.dashboards.selectors import hourly_dimension, overview_frame, tier_ranges
    from warehouse import get_warehouse

    # (the week- and month-long windows end seven hours after the data, so that it lies in whole blocks)
    end = explore_dataset.ended + timedelta(hours=7 if step_s > 3600 else 0, minutes=7)
    window = Window(end - timedelta(days=days, minutes=23), end, "")
    minute_query = {"project_id": explore_dataset.project_id, "start": window.start, "end": window.end,
                    "step_s": window.step_s(), "group_by": group_by, "scope": scope,
                    "llm_operations": list(LLM_OPERATIONS)}
    seen = get_warehouse().run_query("dashboards.overview", **minute_query, **Filters().as_params())
    values = sorted(v for v in seen["grp"].unique().to_list() if v)[:2]
    filters = Filters({group_by: values} if filtered else {})
    assert not filtered or len(values) == 2
    assert window.step_s() == step_s and hourly_dimension(window, filters, group_by) == group_by
    assert hourly_dimension(window, Filters({"tenant": ["x"]}), "model") is None, "two dimensions: minutes"
    ranges = tier_ranges(window, sealed)
    data_from = dataset_window(explore_dataset).start
    if step_s == 21600:     # the data lies in sealed six-hour blocks: that tier answers for it
        assert ranges["six_from"] <= data_from < explore_dataset.ended < ranges["six_to"]
    elif step_s == 10800:   # three-hour blocks answer; six-hour ones would straddle two buckets
        assert ranges["three_from"] <= data_from < explore_dataset.ended < ranges["three_to"]
        assert ranges["six_from"] == ranges["six_to"] == ranges["three_to"]
    else:                   # hours answer for the data's whole hours, minutes for the last, open one
        assert ranges["hours_from"] <= data_from
        assert ranges["six_from"] == ranges["six_to"] == ranges["three_from"] == ranges["three_to"] == ranges["hours_to"]
    hourly = overview_frame(explore_dataset.project_id, window, filters, group_by=group_by, scope=scope)
    minutes = get_warehouse().run_query("dashboards.overview", **minute_query, **filters.as_params())
    assert hourly.height == minutes.height > 1
    exact = ["bucket", "grp", "whole_window", "all_groups", "requests", "errors", "input_tokens", "output_tokens",
             "llm_calls"]
    assert hourly.select(exact).rows() == minutes.select(exact).rows()
    # A t-digest's error is in rank, not in value: where a group holds few spans, or a gap in the
    # distribution lies at a quantile, two merge orders can answer values far apart (146 against 160 ms
    # for a median between two of a handful of requests). So each answer is checked against the spans
    # themselves: it lies between the values ranked a few percent either side of its quantile.
    spans = exact_values(explore_dataset.project_id, group_by, values if filtered else [], step_s)
    for frame in (hourly, minutes):
        for row in frame.iter_rows(named=True):
            for column, of in (("duration_ms", "requests" if scope == "requests" else "llm"), ("ttft_ms", "ttft")):
                sample = row_sample(spans, row, of)
                if column == "duration_ms":  # the very spans the row counts, not a neighbouring set
                    assert len(sample) == row["requests"], (row["bucket"], row["grp"], len(sample))
                for quantile, answer in zip(QUANTILES, row[column], strict=True):
                    if not sample:  # no span of the kind: no answer
                        assert math.isnan(answer), (column, row["bucket"], row["grp"])
                        continue
                    low, high = rank_band(sample, quantile)
                    assert low <= answer <= high, (column, row["bucket"], row["grp"], quantile, answer, low, high)


QUANTILES = (0.5, 0.9, 0.95, 0.99)
RANK_ERROR = 0.03
GROUP_COLUMNS = {"service": "service_name", "endpoint": "endpoint", "tenant": "tenant",
                 "model": "if(response_model != '', response_model, request_model)"}


def exact_values(project_id: int, group_by: str, values: list[str], step_s: int):
    """Every span's bucket, group, scope and latencies, read from the spans table itself."""
    from warehouse import get_warehouse

    sql = ("SELECT toDateTime64(toStartOfInterval(timestamp, toIntervalSecond({step:UInt32})), 0, 'UTC') AS bucket, "
           f"{GROUP_COLUMNS[group_by]} AS grp, parent_span_id = toFixedString('', 8) AS is_root, "
           "operation IN {llm:Array(String)} AS is_llm, duration_ns / 1e6 AS duration, ttft_ns / 1e6 AS ttft "
           "FROM spans WHERE project_id = {p:UInt64} AND (empty({values:Array(String)}) OR grp IN {values:Array(String)})")
    return get_warehouse().admin_query(sql, {"p": project_id, "step": step_s, "llm": list(LLM_OPERATIONS),
                                             "values": values})


def row_sample(spans, row: dict, of: str) -> list[float]:
    """The sorted latencies behind one row of the overview (its bucket and group unless rolled up)."""
    import polars as pl

    wanted = {"requests": pl.col("is_root") == 1, "llm": pl.col("is_llm") == 1,
              "ttft": (pl.col("is_llm") == 1) & (pl.col("ttft") > 0)}[of]
    if not row["whole_window"]:
        wanted &= pl.col("bucket").dt.replace_time_zone(None) == row["bucket"].replace(tzinfo=None)
    if not row["all_groups"]:
        wanted &= pl.col("grp") == row["grp"]
    return sorted(spans.filter(wanted)["ttft" if of == "ttft" else "duration"].to_list())


def rank_band(sample: list[float], quantile: float) -> tuple[float, float]:
    """The values ranked RANK_ERROR below and above a quantile, widened by a t-digest's Float32 rounding."""
    n = len(sample)
    low = sample[max(0, int((quantile - RANK_ERROR) * n) - 1)]
    high = sample[min(n - 1, int((quantile + RANK_ERROR) * n) + 1)]
    return low - abs(low) * 1e-6, high + abs(high) * 1e-6


def test_sealing_is_idempotent_and_repairs_a_chunk_a_crash_left_behind(explore_dataset):
    """A crash can leave part of a chunk's rows without a seal record (here: the first hour of the first
    chunk); sealing deletes and rewrites the chunk, so every tier adds up to the minute rollup; sealing
    again changes nothing; nothing is sealed before it settles."""
    from warehouse import get_warehouse, rollups

    warehouse = get_warehouse()
    total = "SELECT sum(requests) AS n FROM {table} WHERE project_id = {{p:UInt64}} AND dimension = '*'"
    minute_total = warehouse.admin_query("SELECT sum(requests) AS n FROM span_rollup_1m WHERE project_id = {p:UInt64}",
                                         {"p": explore_dataset.project_id})["n"][0]
    later = explore_dataset.ended + timedelta(hours=8)
    try:
        first = rollups._next_data(warehouse, rollups.HOURLY, None, later)
        assert rollups.seal(warehouse, first + rollups.SETTLE) == {}, "nothing has settled yet"
        warehouse.command((rollups.SQL / "seal_hours.sql").read_text(), {"from": first, "to": first + timedelta(hours=1)})
        sealed = rollups.seal(warehouse, later)
        assert rollups.seal(warehouse, later) == sealed
        assert min(sealed[tier.name] for tier in rollups.TIERS) > explore_dataset.ended
        for table in TIER_TABLES:
            assert warehouse.admin_query(total.format(table=table), {"p": explore_dataset.project_id})["n"][0] == \
                minute_total, table
    finally:
        for table in (*TIER_TABLES, "rollup_seals"):
            warehouse.command(f"TRUNCATE TABLE {table}")
