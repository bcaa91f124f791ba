-- Metrics routed by kind. Every insert plans every view of the table it goes to (see 0020), and the
-- four metrics views took about 80 ms each: a one-point export cost 340 ms of CPU, which GPU exporters
-- pay every few seconds per node. Ingest knows which kinds a request holds, so each kind now has its
-- own Null table and view, and a batch is inserted into the tables of the kinds it holds (gauges and
-- sums, the usual GPU and server metrics, go to one table: about 110 ms). The points table also keeps
-- the accounting of every request. The views are 0003's, reading their own table; otlp_metrics_in
-- keeps its views for ingest processes still on the previous release during a rolling upgrade.

CREATE TABLE IF NOT EXISTS otlp_metric_points_in {{on_cluster}} AS otlp_metrics_in ENGINE = Null;

CREATE TABLE IF NOT EXISTS otlp_metric_histograms_in {{on_cluster}} AS otlp_metrics_in ENGINE = Null;

CREATE TABLE IF NOT EXISTS otlp_metric_exp_histograms_in {{on_cluster}} AS otlp_metrics_in ENGINE = Null;

CREATE TABLE IF NOT EXISTS otlp_metric_summaries_in {{on_cluster}} AS otlp_metrics_in ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS otlp_points_mv {{on_cluster}} TO metric_points AS
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
                FROM otlp_metric_points_in
                ARRAY JOIN resource_metrics AS rm
                ARRAY JOIN rm.scope_metrics AS sm
                ARRAY JOIN sm.metrics AS m
            )
        )
    )
    ARRAY JOIN pts AS p
);

CREATE MATERIALIZED VIEW IF NOT EXISTS otlp_histograms_mv {{on_cluster}} TO metric_histograms AS
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
                FROM otlp_metric_histograms_in
                ARRAY JOIN resource_metrics AS rm
                ARRAY JOIN rm.scope_metrics AS sm
                ARRAY JOIN sm.metrics AS m
            )
        )
    )
    ARRAY JOIN pts AS p
);

CREATE MATERIALIZED VIEW IF NOT EXISTS otlp_exp_histograms_mv {{on_cluster}} TO metric_histograms AS
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
                FROM otlp_metric_exp_histograms_in
                ARRAY JOIN resource_metrics AS rm
                ARRAY JOIN rm.scope_metrics AS sm
                ARRAY JOIN sm.metrics AS m
            )
        )
    )
    ARRAY JOIN pts AS p
);

CREATE MATERIALIZED VIEW IF NOT EXISTS otlp_summaries_mv {{on_cluster}} TO metric_histograms AS
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
                FROM otlp_metric_summaries_in
                ARRAY JOIN resource_metrics AS rm
                ARRAY JOIN rm.scope_metrics AS sm
                ARRAY JOIN sm.metrics AS m
            )
        )
    )
    ARRAY JOIN pts AS p
);

CREATE MATERIALIZED VIEW IF NOT EXISTS ingest_accounting_points_mv {{on_cluster}} TO ingest_accounting AS
SELECT project_id, 'metrics' AS signal, toStartOfMinute(inferops_ns(received_unix_nano)) AS minute,
       toUInt64(rejected_requests = 0) AS requests,
       accepted_items AS accepted,
       rejected_items AS rejected, rejected_requests
FROM otlp_metric_points_in;
