"""The cost ledger end to end: LLM calls sent through the OTel SDK and the ingest server, costed into
the ledger with a price version; a recompute after an override changes totals exactly once and the
ledger keeps both versions; GPU-time pricing of self-hosted models with idle cost."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from apps.cost import selectors, services
from apps.cost.models import CostRun, GpuPrice, PriceOverride
from apps.cost.pricing import money
from tests.cost.sending import Call, send_calls, send_gpu_utilisation

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True)]
T = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)


def test_calls_are_costed_once_and_a_recompute_after_an_override_changes_totals_exactly_once(
        ingest_server, ingest_key, project):
    calls = [Call(T + timedelta(minutes=i), "gpt-4o-mini", input_tokens=1_000_000, output_tokens=0)
             for i in range(3)]
    calls += [Call(T + timedelta(minutes=5), "claude-sonnet-4-5", provider="anthropic", input_tokens=175,
                   cache_read=50, cache_write=25, output_tokens=10, tenant="globex"),
              Call(T + timedelta(minutes=6), "mystery-model-9", provider="openai", input_tokens=10)]
    send_calls(ingest_server, ingest_key, calls)
    window = (T, T + timedelta(hours=1))

    first = services.cost_window(project, *window, kind=CostRun.Kind.SWEEP)
    assert (first.posted, first.reversed, first.total_after) == (5, 0, money("0.45055875"))
    again = services.cost_window(project, *window, kind=CostRun.Kind.SWEEP)
    assert (again.posted, again.reversed, again.unchanged) == (0, 0, 5)
    assert again.total_after == first.total_after

    PriceOverride.objects.create(project=project, name="enterprise", provider="openai", match="equals",
                                 pattern="gpt-4o-mini", kind="discount", discount_percent=Decimal("20"),
                                 effective_from=date(2020, 1, 1))
    v2 = services.version_cut(project, "20% discount on gpt-4o-mini", None)
    recompute = services.recompute_request(project, *window, None)
    assert services.recompute_run(recompute.pk) == "done"
    assert services.recompute_run(recompute.pk) == "not pending"
    recompute.refresh_from_db()
    assert (recompute.posted, recompute.reversed, recompute.unchanged) == (3, 3, 2)
    assert recompute.total_before == money("0.45055875")
    assert recompute.total_after == money("0.36055875")           # 3 × $0.15 → 3 × $0.12
    assert services.cost_window(project, *window, kind=CostRun.Kind.SWEEP).posted == 0

    versions = selectors.ledger_versions(project, *window)
    assert versions == {(1, 1): (5, money("0.45055875")), (1, -1): (3, money("0.45")),
                        (v2.number, 1): (3, money("0.36"))}
    days = (T.date(), T.date() + timedelta(days=1))
    by_model = {r["model"]: r for r in selectors.cost_report(project, *days, ["model"])}
    assert by_model["gpt-4o-mini"]["total_cost"] == money("0.36")
    assert by_model["gpt-4o-mini"]["requests"] == 3
    assert by_model["mystery-model-9"]["unpriced_requests"] == 1
    assert by_model["claude-sonnet-4-5"]["total_cost"] == money("0.00055875")


def test_anthropic_raw_input_sent_with_legacy_names_is_priced_on_the_uncached_part(ingest_server, ingest_key, project):
    """Anthropic reports input 100 beside cache read 50 and cache creation 25; an instrumentation on the
    old names passes that raw figure on. Stored as the total 175; 100 pay the input price."""
    send_calls(ingest_server, ingest_key, [Call(T + timedelta(minutes=30), "claude-sonnet-4-5", provider="anthropic",
                                                attributes={"gen_ai.usage.prompt_tokens": 100,
                                                            "gen_ai.usage.cache_read_input_tokens": 50,
                                                            "gen_ai.usage.cache_creation_input_tokens": 25,
                                                            "gen_ai.usage.completion_tokens": 10})])
    run = services.cost_window(project, T + timedelta(minutes=30), T + timedelta(minutes=31), kind=CostRun.Kind.SWEEP)
    assert run.posted == 1 and run.total_after == money("0.00055875")
    [row] = selectors.cost_report(project, T.date(), T.date() + timedelta(days=2), ["model"])
    assert (row["input_tokens"], row["cache_read_tokens"], row["cache_write_tokens"]) == (175, 50, 25)
    # Per 1M input tokens: (100 × $3 + 50 × $0.30 + 25 × $3.75) ÷ 175 tokens.
    assert row["cost_per_m_input"] == money(money("0.00040875") * 1_000_000 / 175)


def test_gpu_time_prices_self_hosted_requests_by_their_share_and_reports_idle_cost(
        ingest_server, ingest_key, project):
    """One H100 at $3.60/h ($0.06 a minute). Minute 0: 75 % busy, two requests of 30 s and 10 s →
    $0.045 busy shared 3:1, $0.015 idle. Minute 1: no traffic, 5 % utilisation → all $0.06 idle."""
    GpuPrice.objects.create(project=project, name="h100 on-demand", host_pattern="gpu-node-*", gpu_model="H100",
                            hourly_usd=Decimal("3.60"), effective_from=date(2020, 1, 1))
    services.version_cut(project, "gpu prices", None)
    m0 = T + timedelta(minutes=10)
    send_gpu_utilisation(ingest_server, ingest_key, "gpu-node-01", "0", "NVIDIA H100 80GB HBM3",
                         [(m0 + timedelta(seconds=15), 70), (m0 + timedelta(seconds=45), 80),
                          (m0 + timedelta(seconds=75), 5)])
    llama = "meta-llama/Llama-3.3-70B-Instruct"
    send_calls(ingest_server, ingest_key, [
        Call(m0, llama, provider="vllm", input_tokens=3000, output_tokens=1000, seconds=30, host="gpu-node-01",
             gpu_id="0"),
        # A hosted API called from the same GPU host keeps its list price and takes no GPU time.
        Call(m0 + timedelta(seconds=5), "gpt-4o-mini", input_tokens=1_000_000, seconds=20, host="gpu-node-01",
             gpu_id="0"),
        Call(m0 + timedelta(seconds=40), llama, provider="vllm", input_tokens=1000, output_tokens=500, seconds=10,
             host="gpu-node-01", gpu_id="0")])

    services.cost_window(project, m0, m0 + timedelta(minutes=2), kind=CostRun.Kind.SWEEP)
    days = (m0.date(), m0.date() + timedelta(days=1))
    rows = {(r["kind"], r["model"]): r for r in selectors.cost_report(project, *days, ["kind", "model"])}
    served = rows[("llm", llama)]
    assert served["total_cost"] == money("0.045") and served["requests"] == 2
    assert served["input_tokens"] + served["output_tokens"] == 5500
    assert served["cost_per_mtok"] == money(money("0.045") * 1_000_000 / 5500)
    assert rows[("gpu_idle", "")]["total_cost"] == money("0.075")
    assert rows[("llm", "gpt-4o-mini")]["total_cost"] == money("0.15")
    lines = selectors.trace_costs(project, m0, m0 + timedelta(minutes=2))
    assert sorted(lines.values()) == [money("0.01125"), money("0.03375"), money("0.15")]


def test_a_recompute_whose_worker_died_is_queued_again_and_finishes(warehouse, project):
    from django.utils import timezone

    start = T - timedelta(hours=1)
    run = services.recompute_request(project, start, start + timedelta(minutes=5), None)
    assert services.recompute_run(run.pk) == "done"
    # A worker that claimed a run and died: running, no lease, older than the lease.
    CostRun.objects.filter(pk=run.pk).update(status=CostRun.Status.RUNNING,
                                             created_at=timezone.now() - timedelta(hours=1))
    assert services.recomputes_revive(timezone.now()) == [run.pk]
    assert services.recompute_run(run.pk) == "done"
    assert services.recomputes_revive(timezone.now()) == []
