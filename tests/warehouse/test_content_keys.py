"""The content test the ingest views redact by (inferops_is_content): prompt and completion keys of the
three dialects are content, whole names and indexed prefixes alike; their near neighbours are not."""

import pytest

pytestmark = pytest.mark.clickhouse

CONTENT = ["gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions",
           "gen_ai.tool.call.arguments", "gen_ai.tool.call.result", "gen_ai.prompt", "gen_ai.completion",
           "gen_ai.content.prompt", "gen_ai.content.completion", "gen_ai.event.content", "input.value",
           "output.value", "llm.prompts", "llm.prompts.0", "llm.prompt_template.template",
           "llm.prompt_template.variables", "traceloop.entity.input", "traceloop.entity.output", "message.content",
           "tool_call.function.arguments", "guard.prompt", "guard.text", "reranker.query", "gen_ai.prompt.0.content",
           "gen_ai.completion.3.role", "llm.input_messages.0.message.content", "llm.output_messages.1.message.role",
           "llm.completions.2.text", "retrieval.documents.0.document.content", "reranker.input_documents.1.id",
           "reranker.output_documents.0.score", "embedding.embeddings.0.embedding.text",
           "gen_ai.guardrail.security.content.input.value"]
NOT_CONTENT = ["gen_ai.prompt.name", "gen_ai.prompt.version", "gen_ai.tool.name", "gen_ai.tool.call.id",
               "gen_ai.request.model", "gen_ai.guardrail.security.content.input.hash", "gen_ai.guardrail.verdict.type",
               "llm.model_name", "llm.prompt_template", "llm.input_messages", "retrieval.documents",
               "embedding.embeddings", "x.input.value", "input.values", "gen_ai.prompts", "gen_ai.input.messages.x",
               "Gen_AI.input.messages", "gen_ai_input_messages", "gen_ai.prompt.x", "input", "", "."]


def test_content_keys_are_told_from_their_neighbours(warehouse):
    frame = warehouse.admin_query("SELECT k, inferops_is_content(k) AS content FROM "
                                  "(SELECT arrayJoin({keys:Array(String)}) AS k)", {"keys": CONTENT + NOT_CONTENT})
    found = dict(zip(frame["k"].to_list(), frame["content"].to_list(), strict=True))
    assert [k for k in CONTENT if not found[k]] == []
    assert [k for k in NOT_CONTENT if found[k]] == []
