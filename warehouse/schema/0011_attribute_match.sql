-- One attribute filter of the trace search (`key = value`, `key != value` with the key present,
-- `key contains value`), on span attributes first, then resource attributes. A macro-expanded SQL
-- function, so that the search can spell out a fixed number of filter slots: evaluated column-wise,
-- that is about twice as fast as one lambda over arrays of filters.
CREATE FUNCTION IF NOT EXISTS inferops_attr_match {{on_cluster}} AS (am_span, am_resource, am_key, am_op, am_value) ->
    multiIf(am_key = '', 1,
            am_op = 'eq', if(mapContains(am_span, am_key), am_span[am_key], am_resource[am_key]) = am_value,
            am_op = 'ne', (mapContains(am_span, am_key) OR mapContains(am_resource, am_key))
                          AND if(mapContains(am_span, am_key), am_span[am_key], am_resource[am_key]) != am_value,
            position(if(mapContains(am_span, am_key), am_span[am_key], am_resource[am_key]), am_value) > 0);

-- Every filter of a search at once (up to ten; unused slots have an empty key and match).
CREATE FUNCTION IF NOT EXISTS inferops_attr_all {{on_cluster}} AS (aa_span, aa_resource, aa_keys, aa_ops, aa_values) ->
    inferops_attr_match(aa_span, aa_resource, aa_keys[1], aa_ops[1], aa_values[1])
    AND inferops_attr_match(aa_span, aa_resource, aa_keys[2], aa_ops[2], aa_values[2])
    AND inferops_attr_match(aa_span, aa_resource, aa_keys[3], aa_ops[3], aa_values[3])
    AND inferops_attr_match(aa_span, aa_resource, aa_keys[4], aa_ops[4], aa_values[4])
    AND inferops_attr_match(aa_span, aa_resource, aa_keys[5], aa_ops[5], aa_values[5])
    AND inferops_attr_match(aa_span, aa_resource, aa_keys[6], aa_ops[6], aa_values[6])
    AND inferops_attr_match(aa_span, aa_resource, aa_keys[7], aa_ops[7], aa_values[7])
    AND inferops_attr_match(aa_span, aa_resource, aa_keys[8], aa_ops[8], aa_values[8])
    AND inferops_attr_match(aa_span, aa_resource, aa_keys[9], aa_ops[9], aa_values[9])
    AND inferops_attr_match(aa_span, aa_resource, aa_keys[10], aa_ops[10], aa_values[10]);
