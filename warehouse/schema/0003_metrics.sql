-- Metrics: gauges and sums become metric points, histograms (explicit, exponential) and summaries
-- become histogram rows. GPU (hw.gpu.*, DCGM, OpenLIT) and inference-server (vLLM, SGLang, TGI,
-- Triton, NIM) vocabularies map onto one naming with unit conversions; the raw name is kept.
CREATE TABLE IF NOT EXISTS otlp_metrics_in {{on_cluster}} (
    project_id UInt64,
    received_unix_nano UInt64,
    rejected_items UInt64,
    rejected_requests UInt64,
    accepted_items UInt64,
    resource_metrics Array(Tuple(
        resource Tuple(attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), array_value Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), bytes_value Nullable(String)))), kvlist_value Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), bytes_value Nullable(String))))), bytes_value Nullable(String))))),
        scope_metrics Array(Tuple(
            scope Tuple(name String, version String),
            metrics Array(Tuple(
                name String,
                description String,
                unit String,
                gauge Tuple(data_points Array(Tuple(attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), array_value Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), bytes_value Nullable(String)))), kvlist_value Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), bytes_value Nullable(String))))), bytes_value Nullable(String)))), start_time_unix_nano UInt64, time_unix_nano UInt64,
                    as_double Nullable(Float64), as_int Nullable(Int64), flags UInt32))),
                sum Tuple(data_points Array(Tuple(attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), array_value Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), bytes_value Nullable(String)))), kvlist_value Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), bytes_value Nullable(String))))), bytes_value Nullable(String)))), start_time_unix_nano UInt64, time_unix_nano UInt64,
                    as_double Nullable(Float64), as_int Nullable(Int64), flags UInt32)),
                    aggregation_temporality Int32, is_monotonic Bool),
                histogram Tuple(data_points Array(Tuple(attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), array_value Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), bytes_value Nullable(String)))), kvlist_value Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), bytes_value Nullable(String))))), bytes_value Nullable(String)))), start_time_unix_nano UInt64, time_unix_nano UInt64,
                    count UInt64, sum Nullable(Float64), bucket_counts Array(UInt64), explicit_bounds Array(Float64),
                    flags UInt32, min Nullable(Float64), max Nullable(Float64))),
                    aggregation_temporality Int32),
                exponential_histogram Tuple(data_points Array(Tuple(attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), array_value Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), bytes_value Nullable(String)))), kvlist_value Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), bytes_value Nullable(String))))), bytes_value Nullable(String)))), start_time_unix_nano UInt64,
                    time_unix_nano UInt64, count UInt64, sum Nullable(Float64), scale Int32, zero_count UInt64,
                    positive Tuple(offset Int32, bucket_counts Array(UInt64)),
                    negative Tuple(offset Int32, bucket_counts Array(UInt64)),
                    flags UInt32, min Nullable(Float64), max Nullable(Float64), zero_threshold Float64)),
                    aggregation_temporality Int32),
                summary Tuple(data_points Array(Tuple(attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), array_value Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), bytes_value Nullable(String)))), kvlist_value Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), bytes_value Nullable(String))))), bytes_value Nullable(String)))), start_time_unix_nano UInt64, time_unix_nano UInt64,
                    count UInt64, sum Float64, quantile_values Array(Tuple(quantile Float64, value Float64)), flags UInt32)))
            ))))))
) ENGINE = Null;

CREATE TABLE IF NOT EXISTS metric_points {{on_cluster}} (
    project_id UInt64,
    timestamp DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
    start_timestamp DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
    metric_name LowCardinality(String),
    source_name LowCardinality(String),
    source LowCardinality(String),
    unit LowCardinality(String),
    kind LowCardinality(String),
    temporality LowCardinality(String),
    is_monotonic UInt8,
    value Float64 CODEC(Gorilla, ZSTD(1)),
    service_name LowCardinality(String),
    host LowCardinality(String),
    gpu_id LowCardinality(String),
    gpu_uuid LowCardinality(String),
    gpu_model LowCardinality(String),
    pod LowCardinality(String),
    namespace LowCardinality(String),
    model_name LowCardinality(String),
    attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    resource_attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ingested_at DateTime('UTC') DEFAULT now()
) ENGINE = MergeTree
PARTITION BY toDate(timestamp)
ORDER BY (project_id, metric_name, host, gpu_id, timestamp)
TTL greatest(toDateTime(timestamp), ingested_at) + toIntervalDay({{retention_days:metrics}})
SETTINGS min_bytes_for_wide_part = 104857600, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS metric_histograms {{on_cluster}} (
    project_id UInt64,
    timestamp DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
    start_timestamp DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
    metric_name LowCardinality(String),
    source_name LowCardinality(String),
    source LowCardinality(String),
    unit LowCardinality(String),
    kind LowCardinality(String),
    temporality LowCardinality(String),
    count UInt64,
    sum Float64,
    min Float64,
    max Float64,
    explicit_bounds Array(Float64) CODEC(ZSTD(1)),
    bucket_counts Array(UInt64) CODEC(ZSTD(1)),
    scale Int32,
    zero_count UInt64,
    zero_threshold Float64,
    positive_offset Int32,
    positive_bucket_counts Array(UInt64) CODEC(ZSTD(1)),
    negative_offset Int32,
    negative_bucket_counts Array(UInt64) CODEC(ZSTD(1)),
    quantiles Array(Float64),
    quantile_values Array(Float64),
    service_name LowCardinality(String),
    host LowCardinality(String),
    gpu_id LowCardinality(String),
    pod LowCardinality(String),
    model_name LowCardinality(String),
    attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    resource_attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ingested_at DateTime('UTC') DEFAULT now()
) ENGINE = MergeTree
PARTITION BY toDate(timestamp)
ORDER BY (project_id, metric_name, host, timestamp)
TTL greatest(toDateTime(timestamp), ingested_at) + toIntervalDay({{retention_days:metrics}})
SETTINGS min_bytes_for_wide_part = 104857600, ttl_only_drop_parts = 1;

-- The vocabulary: source name (lower case, without _total; OTel instrument names are case-insensitive) →
-- canonical name, scale into the canonical unit, unit and family, as literal arrays so that the mapping is
-- part of this checksummed file.
CREATE FUNCTION IF NOT EXISTS inferops_metric_name {{on_cluster}} AS (mn_n) -> transform(mn_n, ['hw.gpu.utilization', 'dcgm_fi_dev_gpu_util', 'gpu.utilization', 'nv_gpu_utilization', 'dcgm_fi_prof_sm_active', 'dcgm_fi_prof_sm_occupancy', 'dcgm_fi_prof_gr_engine_active', 'dcgm_fi_prof_pipe_tensor_active', 'dcgm_fi_prof_dram_active', 'hw.gpu.memory.utilization', 'dcgm_fi_dev_mem_copy_util', 'hw.gpu.memory.usage', 'dcgm_fi_dev_fb_used', 'gpu.memory.used', 'nv_gpu_memory_used_bytes', 'hw.gpu.memory.limit', 'gpu.memory.total', 'nv_gpu_memory_total_bytes', 'hw.gpu.memory.free', 'dcgm_fi_dev_fb_free', 'gpu.memory.free', 'gpu.memory.available', 'dcgm_fi_dev_fb_reserved', 'hw.power', 'hw.gpu.power.draw', 'dcgm_fi_dev_power_usage', 'gpu.power.draw', 'nv_gpu_power_usage', 'hw.gpu.power.limit', 'gpu.power.limit', 'nv_gpu_power_limit', 'hw.energy', 'hw.gpu.energy.consumed', 'dcgm_fi_dev_total_energy_consumption', 'nv_energy_consumption', 'hw.temperature', 'hw.gpu.temperature', 'dcgm_fi_dev_gpu_temp', 'gpu.temperature', 'dcgm_fi_dev_memory_temp', 'dcgm_fi_dev_sm_clock', 'hw.gpu.clock.graphics', 'dcgm_fi_dev_mem_clock', 'hw.gpu.clock.memory', 'hw.gpu.throttled', 'dcgm_exp_clock_events_count', 'dcgm_fi_dev_power_violation', 'dcgm_fi_dev_thermal_violation', 'dcgm_fi_dev_sync_boost_violation', 'dcgm_fi_dev_board_limit_violation', 'dcgm_fi_dev_low_util_violation', 'dcgm_fi_dev_reliability_violation', 'dcgm_fi_dev_xid_errors', 'dcgm_exp_xid_errors_count', 'hw.errors', 'dcgm_fi_dev_pcie_replay_counter', 'dcgm_fi_dev_enc_util', 'gpu.enc.utilization', 'dcgm_fi_dev_dec_util', 'gpu.dec.utilization', 'gpu.fan_speed', 'hw.gpu.fan_speed', 'vllm:num_requests_running', 'sglang:num_running_reqs', 'tgi_batch_current_size', 'num_requests_running', 'vllm:num_requests_waiting', 'sglang:num_queue_reqs', 'tgi_queue_size', 'num_requests_waiting', 'vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc', 'sglang:token_usage', 'gpu_cache_usage_perc', 'vllm:prefix_cache_queries', 'vllm:gpu_prefix_cache_queries', 'vllm:prefix_cache_hits', 'vllm:gpu_prefix_cache_hits', 'sglang:cache_hit_rate', 'vllm:prompt_tokens', 'sglang:prompt_tokens', 'prompt_tokens', 'vllm:generation_tokens', 'sglang:generation_tokens', 'generation_tokens', 'vllm:num_preemptions', 'vllm:request_success', 'tgi_request_success', 'nv_inference_request_success', 'nv_inference_request_failure', 'tgi_request_count', 'nv_inference_count', 'nv_inference_exec_count', 'nv_inference_request_duration_us', 'nv_inference_queue_duration_us', 'nv_inference_compute_infer_duration_us', 'sglang:gen_throughput', 'sglang:num_used_tokens', 'vllm:time_to_first_token_seconds', 'sglang:time_to_first_token_seconds', 'time_to_first_token_seconds', 'vllm:inter_token_latency_seconds', 'vllm:time_per_output_token_seconds', 'sglang:inter_token_latency_seconds', 'sglang:time_per_output_token_seconds', 'tgi_request_mean_time_per_token_duration', 'time_per_output_token_seconds', 'vllm:e2e_request_latency_seconds', 'sglang:e2e_request_latency_seconds', 'tgi_request_duration', 'e2e_request_latency_seconds', 'vllm:request_queue_time_seconds', 'tgi_request_queue_duration', 'vllm:request_prefill_time_seconds', 'vllm:request_decode_time_seconds'], ['gpu.utilization', 'gpu.utilization', 'gpu.utilization', 'gpu.utilization', 'gpu.sm_active', 'gpu.sm_occupancy', 'gpu.graphics_engine_active', 'gpu.tensor_active', 'gpu.dram_active', 'gpu.memory.utilization', 'gpu.memory.utilization', 'gpu.memory.used', 'gpu.memory.used', 'gpu.memory.used', 'gpu.memory.used', 'gpu.memory.limit', 'gpu.memory.limit', 'gpu.memory.limit', 'gpu.memory.free', 'gpu.memory.free', 'gpu.memory.free', 'gpu.memory.free', 'gpu.memory.reserved', 'gpu.power', 'gpu.power', 'gpu.power', 'gpu.power', 'gpu.power', 'gpu.power.limit', 'gpu.power.limit', 'gpu.power.limit', 'gpu.energy', 'gpu.energy', 'gpu.energy', 'gpu.energy', 'gpu.temperature', 'gpu.temperature', 'gpu.temperature', 'gpu.temperature', 'gpu.memory.temperature', 'gpu.clock.sm', 'gpu.clock.sm', 'gpu.clock.memory', 'gpu.clock.memory', 'gpu.throttled', 'gpu.clock_events', 'gpu.throttle.power', 'gpu.throttle.thermal', 'gpu.throttle.sync_boost', 'gpu.throttle.board_limit', 'gpu.throttle.low_util', 'gpu.throttle.reliability', 'gpu.xid.last', 'gpu.xid.errors', 'gpu.errors', 'gpu.pcie.replays', 'gpu.encoder.utilization', 'gpu.encoder.utilization', 'gpu.decoder.utilization', 'gpu.decoder.utilization', 'gpu.fan_speed', 'gpu.fan_speed', 'inference.requests.running', 'inference.requests.running', 'inference.requests.running', 'inference.requests.running', 'inference.requests.waiting', 'inference.requests.waiting', 'inference.requests.waiting', 'inference.requests.waiting', 'inference.kv_cache.utilization', 'inference.kv_cache.utilization', 'inference.kv_cache.utilization', 'inference.kv_cache.utilization', 'inference.prefix_cache.queries', 'inference.prefix_cache.queries', 'inference.prefix_cache.hits', 'inference.prefix_cache.hits', 'inference.prefix_cache.hit_ratio', 'inference.prompt_tokens', 'inference.prompt_tokens', 'inference.prompt_tokens', 'inference.generation_tokens', 'inference.generation_tokens', 'inference.generation_tokens', 'inference.preemptions', 'inference.requests.success', 'inference.requests.success', 'inference.requests.success', 'inference.requests.failure', 'inference.requests', 'inference.inferences', 'inference.executions', 'inference.request_duration', 'inference.queue_duration', 'inference.compute_duration', 'inference.generation_throughput', 'inference.kv_cache.used_tokens', 'inference.ttft', 'inference.ttft', 'inference.ttft', 'inference.itl', 'inference.itl', 'inference.itl', 'inference.itl', 'inference.itl', 'inference.itl', 'inference.e2e', 'inference.e2e', 'inference.e2e', 'inference.e2e', 'inference.queue_time', 'inference.queue_time', 'inference.prefill_time', 'inference.decode_time'], mn_n);

CREATE FUNCTION IF NOT EXISTS inferops_metric_scale {{on_cluster}} AS (ms_n) -> transform(ms_n, ['hw.gpu.utilization', 'dcgm_fi_dev_gpu_util', 'gpu.utilization', 'nv_gpu_utilization', 'dcgm_fi_prof_sm_active', 'dcgm_fi_prof_sm_occupancy', 'dcgm_fi_prof_gr_engine_active', 'dcgm_fi_prof_pipe_tensor_active', 'dcgm_fi_prof_dram_active', 'hw.gpu.memory.utilization', 'dcgm_fi_dev_mem_copy_util', 'hw.gpu.memory.usage', 'dcgm_fi_dev_fb_used', 'gpu.memory.used', 'nv_gpu_memory_used_bytes', 'hw.gpu.memory.limit', 'gpu.memory.total', 'nv_gpu_memory_total_bytes', 'hw.gpu.memory.free', 'dcgm_fi_dev_fb_free', 'gpu.memory.free', 'gpu.memory.available', 'dcgm_fi_dev_fb_reserved', 'hw.power', 'hw.gpu.power.draw', 'dcgm_fi_dev_power_usage', 'gpu.power.draw', 'nv_gpu_power_usage', 'hw.gpu.power.limit', 'gpu.power.limit', 'nv_gpu_power_limit', 'hw.energy', 'hw.gpu.energy.consumed', 'dcgm_fi_dev_total_energy_consumption', 'nv_energy_consumption', 'hw.temperature', 'hw.gpu.temperature', 'dcgm_fi_dev_gpu_temp', 'gpu.temperature', 'dcgm_fi_dev_memory_temp', 'dcgm_fi_dev_sm_clock', 'hw.gpu.clock.graphics', 'dcgm_fi_dev_mem_clock', 'hw.gpu.clock.memory', 'hw.gpu.throttled', 'dcgm_exp_clock_events_count', 'dcgm_fi_dev_power_violation', 'dcgm_fi_dev_thermal_violation', 'dcgm_fi_dev_sync_boost_violation', 'dcgm_fi_dev_board_limit_violation', 'dcgm_fi_dev_low_util_violation', 'dcgm_fi_dev_reliability_violation', 'dcgm_fi_dev_xid_errors', 'dcgm_exp_xid_errors_count', 'hw.errors', 'dcgm_fi_dev_pcie_replay_counter', 'dcgm_fi_dev_enc_util', 'gpu.enc.utilization', 'dcgm_fi_dev_dec_util', 'gpu.dec.utilization', 'gpu.fan_speed', 'hw.gpu.fan_speed', 'vllm:num_requests_running', 'sglang:num_running_reqs', 'tgi_batch_current_size', 'num_requests_running', 'vllm:num_requests_waiting', 'sglang:num_queue_reqs', 'tgi_queue_size', 'num_requests_waiting', 'vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc', 'sglang:token_usage', 'gpu_cache_usage_perc', 'vllm:prefix_cache_queries', 'vllm:gpu_prefix_cache_queries', 'vllm:prefix_cache_hits', 'vllm:gpu_prefix_cache_hits', 'sglang:cache_hit_rate', 'vllm:prompt_tokens', 'sglang:prompt_tokens', 'prompt_tokens', 'vllm:generation_tokens', 'sglang:generation_tokens', 'generation_tokens', 'vllm:num_preemptions', 'vllm:request_success', 'tgi_request_success', 'nv_inference_request_success', 'nv_inference_request_failure', 'tgi_request_count', 'nv_inference_count', 'nv_inference_exec_count', 'nv_inference_request_duration_us', 'nv_inference_queue_duration_us', 'nv_inference_compute_infer_duration_us', 'sglang:gen_throughput', 'sglang:num_used_tokens', 'vllm:time_to_first_token_seconds', 'sglang:time_to_first_token_seconds', 'time_to_first_token_seconds', 'vllm:inter_token_latency_seconds', 'vllm:time_per_output_token_seconds', 'sglang:inter_token_latency_seconds', 'sglang:time_per_output_token_seconds', 'tgi_request_mean_time_per_token_duration', 'time_per_output_token_seconds', 'vllm:e2e_request_latency_seconds', 'sglang:e2e_request_latency_seconds', 'tgi_request_duration', 'e2e_request_latency_seconds', 'vllm:request_queue_time_seconds', 'tgi_request_queue_duration', 'vllm:request_prefill_time_seconds', 'vllm:request_decode_time_seconds'], [1.0, 0.01, 0.01, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.01, 1.0, 1048576.0, 1048576.0, 1.0, 1.0, 1048576.0, 1.0, 1.0, 1048576.0, 1048576.0, 1048576.0, 1048576.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.001, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1e-09, 1e-09, 1e-09, 1e-09, 1e-09, 1e-09, 1.0, 1.0, 1.0, 1.0, 0.01, 0.01, 0.01, 0.01, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1e-06, 1e-06, 1e-06, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], 1.);

CREATE FUNCTION IF NOT EXISTS inferops_metric_unit {{on_cluster}} AS (mu_n) -> transform(mu_n, ['hw.gpu.utilization', 'dcgm_fi_dev_gpu_util', 'gpu.utilization', 'nv_gpu_utilization', 'dcgm_fi_prof_sm_active', 'dcgm_fi_prof_sm_occupancy', 'dcgm_fi_prof_gr_engine_active', 'dcgm_fi_prof_pipe_tensor_active', 'dcgm_fi_prof_dram_active', 'hw.gpu.memory.utilization', 'dcgm_fi_dev_mem_copy_util', 'hw.gpu.memory.usage', 'dcgm_fi_dev_fb_used', 'gpu.memory.used', 'nv_gpu_memory_used_bytes', 'hw.gpu.memory.limit', 'gpu.memory.total', 'nv_gpu_memory_total_bytes', 'hw.gpu.memory.free', 'dcgm_fi_dev_fb_free', 'gpu.memory.free', 'gpu.memory.available', 'dcgm_fi_dev_fb_reserved', 'hw.power', 'hw.gpu.power.draw', 'dcgm_fi_dev_power_usage', 'gpu.power.draw', 'nv_gpu_power_usage', 'hw.gpu.power.limit', 'gpu.power.limit', 'nv_gpu_power_limit', 'hw.energy', 'hw.gpu.energy.consumed', 'dcgm_fi_dev_total_energy_consumption', 'nv_energy_consumption', 'hw.temperature', 'hw.gpu.temperature', 'dcgm_fi_dev_gpu_temp', 'gpu.temperature', 'dcgm_fi_dev_memory_temp', 'dcgm_fi_dev_sm_clock', 'hw.gpu.clock.graphics', 'dcgm_fi_dev_mem_clock', 'hw.gpu.clock.memory', 'hw.gpu.throttled', 'dcgm_exp_clock_events_count', 'dcgm_fi_dev_power_violation', 'dcgm_fi_dev_thermal_violation', 'dcgm_fi_dev_sync_boost_violation', 'dcgm_fi_dev_board_limit_violation', 'dcgm_fi_dev_low_util_violation', 'dcgm_fi_dev_reliability_violation', 'dcgm_fi_dev_xid_errors', 'dcgm_exp_xid_errors_count', 'hw.errors', 'dcgm_fi_dev_pcie_replay_counter', 'dcgm_fi_dev_enc_util', 'gpu.enc.utilization', 'dcgm_fi_dev_dec_util', 'gpu.dec.utilization', 'gpu.fan_speed', 'hw.gpu.fan_speed', 'vllm:num_requests_running', 'sglang:num_running_reqs', 'tgi_batch_current_size', 'num_requests_running', 'vllm:num_requests_waiting', 'sglang:num_queue_reqs', 'tgi_queue_size', 'num_requests_waiting', 'vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc', 'sglang:token_usage', 'gpu_cache_usage_perc', 'vllm:prefix_cache_queries', 'vllm:gpu_prefix_cache_queries', 'vllm:prefix_cache_hits', 'vllm:gpu_prefix_cache_hits', 'sglang:cache_hit_rate', 'vllm:prompt_tokens', 'sglang:prompt_tokens', 'prompt_tokens', 'vllm:generation_tokens', 'sglang:generation_tokens', 'generation_tokens', 'vllm:num_preemptions', 'vllm:request_success', 'tgi_request_success', 'nv_inference_request_success', 'nv_inference_request_failure', 'tgi_request_count', 'nv_inference_count', 'nv_inference_exec_count', 'nv_inference_request_duration_us', 'nv_inference_queue_duration_us', 'nv_inference_compute_infer_duration_us', 'sglang:gen_throughput', 'sglang:num_used_tokens', 'vllm:time_to_first_token_seconds', 'sglang:time_to_first_token_seconds', 'time_to_first_token_seconds', 'vllm:inter_token_latency_seconds', 'vllm:time_per_output_token_seconds', 'sglang:inter_token_latency_seconds', 'sglang:time_per_output_token_seconds', 'tgi_request_mean_time_per_token_duration', 'time_per_output_token_seconds', 'vllm:e2e_request_latency_seconds', 'sglang:e2e_request_latency_seconds', 'tgi_request_duration', 'e2e_request_latency_seconds', 'vllm:request_queue_time_seconds', 'tgi_request_queue_duration', 'vllm:request_prefill_time_seconds', 'vllm:request_decode_time_seconds'], ['1', '1', '1', '1', '1', '1', '1', '1', '1', '1', '1', 'By', 'By', 'By', 'By', 'By', 'By', 'By', 'By', 'By', 'By', 'By', 'By', 'W', 'W', 'W', 'W', 'W', 'W', 'W', 'W', 'J', 'J', 'J', 'J', 'Cel', 'Cel', 'Cel', 'Cel', 'Cel', 'MHz', 'MHz', 'MHz', 'MHz', '1', '{event}', 's', 's', 's', 's', 's', 's', '1', '{error}', '{error}', '{retry}', '1', '1', '1', '1', '%', '{rpm}', '{request}', '{request}', '{request}', '{request}', '{request}', '{request}', '{request}', '{request}', '1', '1', '1', '1', '{token}', '{token}', '{token}', '{token}', '1', '{token}', '{token}', '{token}', '{token}', '{token}', '{token}', '{preemption}', '{request}', '{request}', '{request}', '{request}', '{request}', '{inference}', '{execution}', 's', 's', 's', '{token}/s', '{token}', 's', 's', 's', 's', 's', 's', 's', 's', 's', 's', 's', 's', 's', 's', 's', 's', 's'], '');

CREATE FUNCTION IF NOT EXISTS inferops_metric_source {{on_cluster}} AS (mf_n) -> transform(mf_n, ['hw.gpu.utilization', 'dcgm_fi_dev_gpu_util', 'gpu.utilization', 'nv_gpu_utilization', 'dcgm_fi_prof_sm_active', 'dcgm_fi_prof_sm_occupancy', 'dcgm_fi_prof_gr_engine_active', 'dcgm_fi_prof_pipe_tensor_active', 'dcgm_fi_prof_dram_active', 'hw.gpu.memory.utilization', 'dcgm_fi_dev_mem_copy_util', 'hw.gpu.memory.usage', 'dcgm_fi_dev_fb_used', 'gpu.memory.used', 'nv_gpu_memory_used_bytes', 'hw.gpu.memory.limit', 'gpu.memory.total', 'nv_gpu_memory_total_bytes', 'hw.gpu.memory.free', 'dcgm_fi_dev_fb_free', 'gpu.memory.free', 'gpu.memory.available', 'dcgm_fi_dev_fb_reserved', 'hw.power', 'hw.gpu.power.draw', 'dcgm_fi_dev_power_usage', 'gpu.power.draw', 'nv_gpu_power_usage', 'hw.gpu.power.limit', 'gpu.power.limit', 'nv_gpu_power_limit', 'hw.energy', 'hw.gpu.energy.consumed', 'dcgm_fi_dev_total_energy_consumption', 'nv_energy_consumption', 'hw.temperature', 'hw.gpu.temperature', 'dcgm_fi_dev_gpu_temp', 'gpu.temperature', 'dcgm_fi_dev_memory_temp', 'dcgm_fi_dev_sm_clock', 'hw.gpu.clock.graphics', 'dcgm_fi_dev_mem_clock', 'hw.gpu.clock.memory', 'hw.gpu.throttled', 'dcgm_exp_clock_events_count', 'dcgm_fi_dev_power_violation', 'dcgm_fi_dev_thermal_violation', 'dcgm_fi_dev_sync_boost_violation', 'dcgm_fi_dev_board_limit_violation', 'dcgm_fi_dev_low_util_violation', 'dcgm_fi_dev_reliability_violation', 'dcgm_fi_dev_xid_errors', 'dcgm_exp_xid_errors_count', 'hw.errors', 'dcgm_fi_dev_pcie_replay_counter', 'dcgm_fi_dev_enc_util', 'gpu.enc.utilization', 'dcgm_fi_dev_dec_util', 'gpu.dec.utilization', 'gpu.fan_speed', 'hw.gpu.fan_speed', 'vllm:num_requests_running', 'sglang:num_running_reqs', 'tgi_batch_current_size', 'num_requests_running', 'vllm:num_requests_waiting', 'sglang:num_queue_reqs', 'tgi_queue_size', 'num_requests_waiting', 'vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc', 'sglang:token_usage', 'gpu_cache_usage_perc', 'vllm:prefix_cache_queries', 'vllm:gpu_prefix_cache_queries', 'vllm:prefix_cache_hits', 'vllm:gpu_prefix_cache_hits', 'sglang:cache_hit_rate', 'vllm:prompt_tokens', 'sglang:prompt_tokens', 'prompt_tokens', 'vllm:generation_tokens', 'sglang:generation_tokens', 'generation_tokens', 'vllm:num_preemptions', 'vllm:request_success', 'tgi_request_success', 'nv_inference_request_success', 'nv_inference_request_failure', 'tgi_request_count', 'nv_inference_count', 'nv_inference_exec_count', 'nv_inference_request_duration_us', 'nv_inference_queue_duration_us', 'nv_inference_compute_infer_duration_us', 'sglang:gen_throughput', 'sglang:num_used_tokens', 'vllm:time_to_first_token_seconds', 'sglang:time_to_first_token_seconds', 'time_to_first_token_seconds', 'vllm:inter_token_latency_seconds', 'vllm:time_per_output_token_seconds', 'sglang:inter_token_latency_seconds', 'sglang:time_per_output_token_seconds', 'tgi_request_mean_time_per_token_duration', 'time_per_output_token_seconds', 'vllm:e2e_request_latency_seconds', 'sglang:e2e_request_latency_seconds', 'tgi_request_duration', 'e2e_request_latency_seconds', 'vllm:request_queue_time_seconds', 'tgi_request_queue_duration', 'vllm:request_prefill_time_seconds', 'vllm:request_decode_time_seconds'], ['hw', 'dcgm', 'openlit', 'triton', 'dcgm', 'dcgm', 'dcgm', 'dcgm', 'dcgm', 'hw', 'dcgm', 'hw', 'dcgm', 'openlit', 'triton', 'hw', 'openlit', 'triton', 'hw', 'dcgm', 'openlit', 'openlit', 'dcgm', 'hw', 'hw', 'dcgm', 'openlit', 'triton', 'hw', 'openlit', 'triton', 'hw', 'hw', 'dcgm', 'triton', 'hw', 'hw', 'dcgm', 'openlit', 'dcgm', 'dcgm', 'hw', 'dcgm', 'hw', 'hw', 'dcgm', 'dcgm', 'dcgm', 'dcgm', 'dcgm', 'dcgm', 'dcgm', 'dcgm', 'dcgm', 'hw', 'dcgm', 'dcgm', 'openlit', 'dcgm', 'openlit', 'openlit', 'hw', 'vllm', 'sglang', 'tgi', 'nim', 'vllm', 'sglang', 'tgi', 'nim', 'vllm', 'vllm', 'sglang', 'nim', 'vllm', 'vllm', 'vllm', 'vllm', 'sglang', 'vllm', 'sglang', 'nim', 'vllm', 'sglang', 'nim', 'vllm', 'vllm', 'tgi', 'triton', 'triton', 'tgi', 'triton', 'triton', 'triton', 'triton', 'triton', 'sglang', 'sglang', 'vllm', 'sglang', 'nim', 'vllm', 'vllm', 'sglang', 'sglang', 'tgi', 'nim', 'vllm', 'sglang', 'tgi', 'nim', 'vllm', 'tgi', 'vllm', 'vllm'], '');

CREATE MATERIALIZED VIEW IF NOT EXISTS otlp_metric_points_mv {{on_cluster}} TO metric_points AS
SELECT
    project_id,
    service_name,
    base_name AS source_name,
    if(not_gpu, base_name, inferops_metric_name(lower(base_name))) AS metric_name,
    if(not_gpu OR inferops_metric_unit(lower(base_name)) = '', m.unit, inferops_metric_unit(lower(base_name))) AS unit,
    if(not_gpu, '', inferops_metric_source(lower(base_name))) AS source,
    if(host_attr != '', host_attr, multiIf(ra['host.name'] != '', ra['host.name'], ra['k8s.node.name'] != '', ra['k8s.node.name'], ra['hostname'])) AS host,
    multiIf(at['gpu'] != '', at['gpu'], at['gpu.index'] != '', at['gpu.index'], at['gpu.id'] != '', at['gpu.id'], at['hw.id'] != '', at['hw.id'], at['gpu_uuid'] != '', at['gpu_uuid'], at['UUID']) AS gpu_id,
    if(pod_attr != '', pod_attr, ra['k8s.pod.name']) AS pod,
    multiIf(at['model_name'] != '', at['model_name'], at['model'] != '', at['model'], at['gen_ai.request.model']) AS model_name,
    at AS attributes,
    ra AS resource_attributes,
    inferops_ns(p.1.time_unix_nano) AS timestamp,
    inferops_ns(p.1.start_time_unix_nano) AS start_timestamp,
    p.2 AS kind,
    if(p.2 = 'sum', transform(m.sum.aggregation_temporality, [1, 2], ['delta', 'cumulative'], 'unspecified'), '') AS temporality,
    toUInt8(p.2 = 'sum' AND m.sum.is_monotonic) AS is_monotonic,
    coalesce(p.1.as_double, toFloat64(p.1.as_int), 0.) * unit_scale AS value,
    multiIf(at['UUID'] != '', at['UUID'], at['gpu.uuid'] != '', at['gpu.uuid'], at['gpu_uuid']) AS gpu_uuid,
    multiIf(at['modelName'] != '', at['modelName'], at['hw.model'] != '', at['hw.model'], at['gpu.name'] != '', at['gpu.name'], at['hw.name']) AS gpu_model,
    multiIf(at['namespace'] != '', at['namespace'], at['pod_namespace'] != '', at['pod_namespace'], at['k8s.namespace.name']) AS namespace
FROM (
    SELECT project_id, ra, m, service_name, base_name, p, inferops_attrs(p.1.attributes) AS at,
               -- Generic hw.* series are GPU series only when hw.type says so.
               (startsWith(base_name, 'hw.') AND NOT startsWith(base_name, 'hw.gpu.') AND at['hw.type'] NOT IN ('gpu', '')) AS not_gpu,
               if(not_gpu, 1., inferops_metric_scale(lower(base_name))) AS unit_scale,
               multiIf(at['hostname'] != '', at['hostname'], at['Hostname'] != '', at['Hostname'], at['host.name'] != '', at['host.name'], at['host']) AS host_attr,
               multiIf(at['pod'] != '', at['pod'], at['pod_name'] != '', at['pod_name'], at['k8s.pod.name']) AS pod_attr
    FROM (
        SELECT project_id, ra, m, service_name, base_name,
               arrayConcat(arrayMap(x -> (x, 'gauge'), m.gauge.data_points), arrayMap(x -> (x, 'sum'), m.sum.data_points)) AS pts
        FROM (
            SELECT project_id, ra, m, if(ra['service.name'] != '', ra['service.name'], 'unknown_service') AS service_name,
                   replaceRegexpOne(m.name, '_total$', '') AS base_name
            FROM (
                SELECT project_id, inferops_attrs(rm.resource.attributes) AS ra, m
                FROM otlp_metrics_in
                ARRAY JOIN resource_metrics AS rm
                ARRAY JOIN rm.scope_metrics AS sm
                ARRAY JOIN sm.metrics AS m
            )
        )
    )
    ARRAY JOIN pts AS p
);

CREATE MATERIALIZED VIEW IF NOT EXISTS otlp_metric_histograms_mv {{on_cluster}} TO metric_histograms AS
SELECT
    project_id,
    service_name,
    base_name AS source_name,
    if(not_gpu, base_name, inferops_metric_name(lower(base_name))) AS metric_name,
    if(not_gpu OR inferops_metric_unit(lower(base_name)) = '', m.unit, inferops_metric_unit(lower(base_name))) AS unit,
    if(not_gpu, '', inferops_metric_source(lower(base_name))) AS source,
    if(host_attr != '', host_attr, multiIf(ra['host.name'] != '', ra['host.name'], ra['k8s.node.name'] != '', ra['k8s.node.name'], ra['hostname'])) AS host,
    multiIf(at['gpu'] != '', at['gpu'], at['gpu.index'] != '', at['gpu.index'], at['gpu.id'] != '', at['gpu.id'], at['hw.id'] != '', at['hw.id'], at['gpu_uuid'] != '', at['gpu_uuid'], at['UUID']) AS gpu_id,
    if(pod_attr != '', pod_attr, ra['k8s.pod.name']) AS pod,
    multiIf(at['model_name'] != '', at['model_name'], at['model'] != '', at['model'], at['gen_ai.request.model']) AS model_name,
    at AS attributes,
    ra AS resource_attributes,
    inferops_ns(p.time_unix_nano) AS timestamp,
    inferops_ns(p.start_time_unix_nano) AS start_timestamp,
    'explicit' AS kind,
    transform(m.histogram.aggregation_temporality, [1, 2], ['delta', 'cumulative'], 'unspecified') AS temporality,
    p.count AS count,
    coalesce(p.sum, 0.) * unit_scale AS sum,
    coalesce(p.min, nan) * unit_scale AS min,
    coalesce(p.max, nan) * unit_scale AS max,
    arrayMap(b -> b * unit_scale, p.explicit_bounds) AS explicit_bounds,
    p.bucket_counts AS bucket_counts
FROM (
    SELECT project_id, ra, m, service_name, base_name, p, inferops_attrs(p.attributes) AS at,
               -- Generic hw.* series are GPU series only when hw.type says so.
               (startsWith(base_name, 'hw.') AND NOT startsWith(base_name, 'hw.gpu.') AND at['hw.type'] NOT IN ('gpu', '')) AS not_gpu,
               if(not_gpu, 1., inferops_metric_scale(lower(base_name))) AS unit_scale,
               multiIf(at['hostname'] != '', at['hostname'], at['Hostname'] != '', at['Hostname'], at['host.name'] != '', at['host.name'], at['host']) AS host_attr,
               multiIf(at['pod'] != '', at['pod'], at['pod_name'] != '', at['pod_name'], at['k8s.pod.name']) AS pod_attr
    FROM (
        SELECT project_id, ra, m, service_name, base_name, m.histogram.data_points AS pts
        FROM (
            SELECT project_id, ra, m, if(ra['service.name'] != '', ra['service.name'], 'unknown_service') AS service_name,
                   replaceRegexpOne(m.name, '_total$', '') AS base_name
            FROM (
                SELECT project_id, inferops_attrs(rm.resource.attributes) AS ra, m
                FROM otlp_metrics_in
                ARRAY JOIN resource_metrics AS rm
                ARRAY JOIN rm.scope_metrics AS sm
                ARRAY JOIN sm.metrics AS m
            )
        )
    )
    ARRAY JOIN pts AS p
);

CREATE MATERIALIZED VIEW IF NOT EXISTS otlp_metric_exp_histograms_mv {{on_cluster}} TO metric_histograms AS
SELECT
    project_id,
    service_name,
    base_name AS source_name,
    if(not_gpu, base_name, inferops_metric_name(lower(base_name))) AS metric_name,
    if(not_gpu OR inferops_metric_unit(lower(base_name)) = '', m.unit, inferops_metric_unit(lower(base_name))) AS unit,
    if(not_gpu, '', inferops_metric_source(lower(base_name))) AS source,
    if(host_attr != '', host_attr, multiIf(ra['host.name'] != '', ra['host.name'], ra['k8s.node.name'] != '', ra['k8s.node.name'], ra['hostname'])) AS host,
    multiIf(at['gpu'] != '', at['gpu'], at['gpu.index'] != '', at['gpu.index'], at['gpu.id'] != '', at['gpu.id'], at['hw.id'] != '', at['hw.id'], at['gpu_uuid'] != '', at['gpu_uuid'], at['UUID']) AS gpu_id,
    if(pod_attr != '', pod_attr, ra['k8s.pod.name']) AS pod,
    multiIf(at['model_name'] != '', at['model_name'], at['model'] != '', at['model'], at['gen_ai.request.model']) AS model_name,
    at AS attributes,
    ra AS resource_attributes,
    inferops_ns(p.time_unix_nano) AS timestamp,
    inferops_ns(p.start_time_unix_nano) AS start_timestamp,
    'exponential' AS kind,
    transform(m.exponential_histogram.aggregation_temporality, [1, 2], ['delta', 'cumulative'], 'unspecified') AS temporality,
    p.count AS count,
    coalesce(p.sum, 0.) * unit_scale AS sum,
    coalesce(p.min, nan) * unit_scale AS min,
    coalesce(p.max, nan) * unit_scale AS max,
    p.scale AS scale,
    p.zero_count AS zero_count,
    p.zero_threshold AS zero_threshold,
    p.positive.offset AS positive_offset,
    p.positive.bucket_counts AS positive_bucket_counts,
    p.negative.offset AS negative_offset,
    p.negative.bucket_counts AS negative_bucket_counts
FROM (
    SELECT project_id, ra, m, service_name, base_name, p, inferops_attrs(p.attributes) AS at,
               -- Generic hw.* series are GPU series only when hw.type says so.
               (startsWith(base_name, 'hw.') AND NOT startsWith(base_name, 'hw.gpu.') AND at['hw.type'] NOT IN ('gpu', '')) AS not_gpu,
               if(not_gpu, 1., inferops_metric_scale(lower(base_name))) AS unit_scale,
               multiIf(at['hostname'] != '', at['hostname'], at['Hostname'] != '', at['Hostname'], at['host.name'] != '', at['host.name'], at['host']) AS host_attr,
               multiIf(at['pod'] != '', at['pod'], at['pod_name'] != '', at['pod_name'], at['k8s.pod.name']) AS pod_attr
    FROM (
        SELECT project_id, ra, m, service_name, base_name, m.exponential_histogram.data_points AS pts
        FROM (
            SELECT project_id, ra, m, if(ra['service.name'] != '', ra['service.name'], 'unknown_service') AS service_name,
                   replaceRegexpOne(m.name, '_total$', '') AS base_name
            FROM (
                SELECT project_id, inferops_attrs(rm.resource.attributes) AS ra, m
                FROM otlp_metrics_in
                ARRAY JOIN resource_metrics AS rm
                ARRAY JOIN rm.scope_metrics AS sm
                ARRAY JOIN sm.metrics AS m
            )
        )
    )
    ARRAY JOIN pts AS p
);

CREATE MATERIALIZED VIEW IF NOT EXISTS otlp_metric_summaries_mv {{on_cluster}} TO metric_histograms AS
SELECT
    project_id,
    service_name,
    base_name AS source_name,
    if(not_gpu, base_name, inferops_metric_name(lower(base_name))) AS metric_name,
    if(not_gpu OR inferops_metric_unit(lower(base_name)) = '', m.unit, inferops_metric_unit(lower(base_name))) AS unit,
    if(not_gpu, '', inferops_metric_source(lower(base_name))) AS source,
    if(host_attr != '', host_attr, multiIf(ra['host.name'] != '', ra['host.name'], ra['k8s.node.name'] != '', ra['k8s.node.name'], ra['hostname'])) AS host,
    multiIf(at['gpu'] != '', at['gpu'], at['gpu.index'] != '', at['gpu.index'], at['gpu.id'] != '', at['gpu.id'], at['hw.id'] != '', at['hw.id'], at['gpu_uuid'] != '', at['gpu_uuid'], at['UUID']) AS gpu_id,
    if(pod_attr != '', pod_attr, ra['k8s.pod.name']) AS pod,
    multiIf(at['model_name'] != '', at['model_name'], at['model'] != '', at['model'], at['gen_ai.request.model']) AS model_name,
    at AS attributes,
    ra AS resource_attributes,
    inferops_ns(p.time_unix_nano) AS timestamp,
    inferops_ns(p.start_time_unix_nano) AS start_timestamp,
    'summary' AS kind,
    'cumulative' AS temporality,
    p.count AS count,
    p.sum * unit_scale AS sum,
    nan AS min,
    nan AS max,
    arrayMap(q -> q.quantile, p.quantile_values) AS quantiles,
    arrayMap(q -> q.value * unit_scale, p.quantile_values) AS quantile_values
FROM (
    SELECT project_id, ra, m, service_name, base_name, p, inferops_attrs(p.attributes) AS at,
               -- Generic hw.* series are GPU series only when hw.type says so.
               (startsWith(base_name, 'hw.') AND NOT startsWith(base_name, 'hw.gpu.') AND at['hw.type'] NOT IN ('gpu', '')) AS not_gpu,
               if(not_gpu, 1., inferops_metric_scale(lower(base_name))) AS unit_scale,
               multiIf(at['hostname'] != '', at['hostname'], at['Hostname'] != '', at['Hostname'], at['host.name'] != '', at['host.name'], at['host']) AS host_attr,
               multiIf(at['pod'] != '', at['pod'], at['pod_name'] != '', at['pod_name'], at['k8s.pod.name']) AS pod_attr
    FROM (
        SELECT project_id, ra, m, service_name, base_name, m.summary.data_points AS pts
        FROM (
            SELECT project_id, ra, m, if(ra['service.name'] != '', ra['service.name'], 'unknown_service') AS service_name,
                   replaceRegexpOne(m.name, '_total$', '') AS base_name
            FROM (
                SELECT project_id, inferops_attrs(rm.resource.attributes) AS ra, m
                FROM otlp_metrics_in
                ARRAY JOIN resource_metrics AS rm
                ARRAY JOIN rm.scope_metrics AS sm
                ARRAY JOIN sm.metrics AS m
            )
        )
    )
    ARRAY JOIN pts AS p
);
