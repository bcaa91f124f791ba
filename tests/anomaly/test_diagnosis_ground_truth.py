"""Ground truth: for each incident the simulator injected into three hours of traffic (written through
the real ingest path), the diagnosis of its window against the time before it puts the injected
cause first, with numbers that match what was injected."""

import pytest

from apps.anomaly.diagnose import Scope, Window, factors
from tests.anomaly.conftest import instant

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db]

# incident kind → (symptom the anomaly is on, scope, expected first factor from the target)
CASES = {
    "gpu_throttle": ("latency", Scope(), lambda t: ("host", t["host"])),
    "provider_errors": ("errors", Scope(), lambda t: ("model", t["model"])),
    "tenant_cost_spike": ("requests", Scope(), lambda t: ("tenant", t["tenant"])),
    "prompt_bump": ("input_per_call", Scope(), lambda t: ("prompt_version", f"{t['prompt']}@{t['version_after']}")),
    "guardrail_surge": ("guardrail_blocks", Scope(),
                        lambda t: ("policy_version", f"{t['policy_id']}@{t['version_during']}")),
    "slow_tool": ("latency", Scope(), lambda t: ("tool", t["tool"])),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_the_injected_cause_comes_first(incidents_dataset, kind):
    (project_id, _, _), truth = incidents_dataset
    incident = next(i for i in truth["incidents"] if i["kind"] == kind)
    symptom, scope, expected = CASES[kind]
    window = Window(instant(truth["window"]["start"]), instant(incident["start"]), instant(incident["end"]))
    found = factors(project_id, symptom, window, scope)
    assert found, f"no factor for {kind}"
    first = found[0]
    assert (first["dimension"], first["value"]) == expected(incident["target"]), found[:3]
    assert first["share"] >= 0.5, first
    _numbers_match(kind, incident["target"], first)


def _numbers_match(kind: str, target: dict, first: dict) -> None:
    """The first factor's numbers reflect the injected change (the dataset is small: loose bounds)."""
    if kind == "provider_errors":
        assert first["observed"] >= target["error_ratio"] - 0.15 and first["expected"] < 0.05
    elif kind == "tenant_cost_spike":
        assert first["observed"] / max(first["expected"], 1e-9) == pytest.approx(target["request_factor"], rel=0.6)
    elif kind == "prompt_bump":
        assert first["new_in_window"] and first["observed"] >= 0.5
    elif kind == "guardrail_surge":
        assert first["new_in_window"] and first["observed"] == pytest.approx(target["block_ratio"], abs=0.1)
        assert first["expected"] < 0.05
    elif kind == "gpu_throttle":
        assert first["corroborated"], "the host's GPU metrics show the throttling"
        assert first["observed"] >= 0.3 and first["lift"] >= 2
    else:       # slow tool: nearly all its calls are past the baseline's p95
        assert first["observed"] >= 0.8 and first["lift"] >= 2
