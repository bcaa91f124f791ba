-- Sealed per-minute SLI counts summed over every alerting window and each SLO's period, for many SLOs
-- of one project in one pass. Per SLO (parallel arrays): definition version, period start, timeslice
-- target (0: occurrences). end: where the sealed minutes stop; windows: seconds before anchor (the
-- evaluation's end), 0 standing for the SLO's period. A minute is a bad slice when it had traffic and
-- missed the target. Returns, per SLO, arrays aligned with windows.
SELECT
    slo_id,
    sumForEach(arrayMap(w -> if(if(w = 0, minute >= period_start, minute >= end_at - w), m_total - m_good, 0),
                        {windows:Array(UInt32)})) AS bad,
    sumForEach(arrayMap(w -> if(if(w = 0, minute >= period_start, minute >= end_at - w), m_total, 0),
                        {windows:Array(UInt32)})) AS total,
    sumForEach(arrayMap(w -> toUInt64(if(w = 0, minute >= period_start, minute >= end_at - w)
                                      AND m_total > 0 AND m_good < m_total * target),
                        {windows:Array(UInt32)})) AS bad_slices
FROM (
    SELECT
        slo_minutes.slo_id AS slo_id, slo_minutes.minute AS minute, slo_minutes.good AS m_good,
        slo_minutes.total AS m_total,
        toDateTime({anchor:DateTime64(6, 'UTC')}, 'UTC') AS end_at,
        transform(slo_minutes.slo_id, {slo_ids:Array(UInt64)}, {targets:Array(Float64)}, 0.) AS target,
        transform(slo_minutes.slo_id, {slo_ids:Array(UInt64)}, {period_starts:Array(DateTime64(6, 'UTC'))},
                  toDateTime64(0, 6, 'UTC')) AS period_start
    FROM slo_minutes
    WHERE project_id = {project_id:UInt64}
      AND slo_minutes.minute >= {start:DateTime64(6, 'UTC')}
      AND slo_minutes.minute < {end:DateTime64(6, 'UTC')}
      AND slo_minutes.slo_id IN {slo_ids:Array(UInt64)}
      AND slo_minutes.version = transform(slo_minutes.slo_id, {slo_ids:Array(UInt64)}, {versions:Array(UInt32)},
                                          toUInt32(0))
)
GROUP BY slo_id
