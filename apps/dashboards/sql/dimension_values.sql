-- The values seen in a window for each filterable dimension, busiest first, for the filter menus.
-- One pass over the rollups with a small map per dimension (an ARRAY JOIN would multiply the rows).
SELECT
    arrayMap(dim -> dim.1, dims) AS dimension,
    arrayMap(dim -> arraySlice(arrayMap(pair -> pair.1,
                                        arraySort(pair -> (-pair.2, pair.1),
                                                  arrayFilter(pair -> pair.1 != '', arrayZip(dim.2.1, dim.2.2)))),
                               1, {per_dimension:UInt32}), dims) AS dimension_values
FROM (
    SELECT [('service', sumMap([service_name], [requests])), ('endpoint', sumMap([endpoint], [requests])),
            ('model', sumMap([model], [requests])), ('provider', sumMap([provider], [requests])),
            ('tenant', sumMap([tenant], [requests])), ('host', sumMap([host], [requests]))] AS dims
    FROM span_rollup_1m
    WHERE project_id = {project_id:UInt64}
      AND span_rollup_1m.minute >= toStartOfMinute({start:DateTime64(6, 'UTC')})
      AND span_rollup_1m.minute < {end:DateTime64(6, 'UTC')}
)
