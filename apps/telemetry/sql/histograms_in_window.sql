-- Histogram rows (explicit, exponential, summary) of one project in a window.
SELECT metric_name, source_name, source, unit, kind, temporality, count, sum, min, max, explicit_bounds,
       bucket_counts, scale, zero_count, positive_offset, positive_bucket_counts, negative_offset,
       negative_bucket_counts, quantiles, quantile_values, host, gpu_id, model_name, attributes, timestamp
FROM metric_histograms
WHERE project_id = {project_id:UInt64}
  AND timestamp >= {start:DateTime64(6, 'UTC')}
  AND timestamp < {end:DateTime64(6, 'UTC')}
ORDER BY metric_name, timestamp
LIMIT {limit:UInt32}
