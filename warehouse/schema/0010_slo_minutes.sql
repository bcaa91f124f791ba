-- Each SLO's good and total events per minute, written once a minute is sealed (a few minutes after
-- it ended, so late spans are in): evaluation then sums this small series for every SLO in one query,
-- instead of scanning a month of rollups per SLO per minute. Rows carry the definition version; a
-- changed SLO recomputes its history under the new version.
CREATE TABLE IF NOT EXISTS slo_minutes {{on_cluster}} (
    project_id UInt64,
    slo_id UInt64,
    version UInt32,
    minute DateTime('UTC'),
    good UInt64,
    total UInt64,
    ingested_at DateTime('UTC') DEFAULT now()
) ENGINE = MergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (project_id, slo_id, version, minute)
TTL greatest(minute, ingested_at) + toIntervalDay({{retention_days:rollups}});
