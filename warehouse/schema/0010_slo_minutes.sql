-- Each SLO's good and total events per minute, written once a minute is sealed (a few minutes after
-- it ended, so late spans are in): evaluation then sums this small series for every SLO in one query,
-- instead of scanning a month of rollups per SLO per minute. Rows carry the definition version; a
-- changed SLO recomputes its history under the new version. Evaluators claim a range before writing
-- it, so a minute is written once; a crash between claim and insert can only repeat a minute, which
-- the Replacing engine folds away when it merges.
CREATE TABLE IF NOT EXISTS slo_minutes {{on_cluster}} (
    project_id UInt64,
    slo_id UInt64,
    version UInt32,
    minute DateTime('UTC'),
    good UInt64,
    total UInt64,
    ingested_at DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(minute)
ORDER BY (project_id, slo_id, version, minute)
TTL greatest(minute, ingested_at) + toIntervalDay({{retention_days:rollups}});
