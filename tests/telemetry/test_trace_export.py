"""The trace search as a CSV download: the same traces as the pages, streamed, spreadsheet-safe."""

import csv
import io
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from opentelemetry import trace as otel_trace

from apps.telemetry.query import parse_trace_search
from apps.telemetry.selectors import trace_search
from tests.ingest.otel_clients import span_exporter, tracer_provider
from tests.personas import client_for

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db]


def rows_of(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_export_holds_every_matching_trace_in_the_pages_order(explore_project, explore_dataset):
    tenant = sorted(explore_dataset.truth["generated"]["traces_by_tenant"])[0]
    window = urlencode({"start": (explore_dataset.ended - timedelta(hours=1)).isoformat(),
                        "end": explore_dataset.ended.isoformat()})
    query = f"{window}&attr=tenant.id%20%3D%20{tenant}&sort=duration"
    response = client_for(explore_project, "finance").get(f"/api/v1/projects/{explore_project.pk}/traces.csv?{query}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    exported = rows_of(response)
    first_page = trace_search(explore_project.pk, parse_trace_search(QueryDict(query + "&limit=200"))).rows
    assert len(exported) == explore_dataset.truth["generated"]["traces_by_tenant"][tenant]
    assert [r["trace_id"] for r in exported[:len(first_page)]] == [r["trace_id"] for r in first_page]
    assert all(r["tenants"] == tenant for r in exported)


@pytest.mark.django_db(transaction=True)   # the ingest server's thread must see the key
@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "@SUM(1+1)",
                                  "-2+3"])
def test_formulas_in_span_names_are_neutralised(project, ingest_key, ingest_server, name):
    provider = tracer_provider(span_exporter("http", ingest_server, ingest_key))
    with provider.get_tracer("tests.csv").start_as_current_span(name, kind=otel_trace.SpanKind.SERVER):
        pass
    provider.shutdown()
    response = client_for(project, "viewer").get(f"/api/v1/projects/{project.pk}/traces.csv?range=15m")
    [row] = rows_of(response)
    assert row["root_name"] == "'" + name
