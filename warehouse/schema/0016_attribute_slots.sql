-- Attribute filters: an unused slot (empty key) is skipped by a short-circuit OR instead of being
-- evaluated on every span; same results. Measured on 2.3M spans with two filters: the filter alone
-- 560 → 469 ms; the whole 7-day search about 5% faster (within this machine's noise).
CREATE OR REPLACE FUNCTION inferops_attr_all {{on_cluster}} AS (aa_span, aa_resource, aa_keys, aa_ops, aa_values) ->
    (aa_keys[1] = '' OR inferops_attr_match(aa_span, aa_resource, aa_keys[1], aa_ops[1], aa_values[1]))
    AND (aa_keys[2] = '' OR inferops_attr_match(aa_span, aa_resource, aa_keys[2], aa_ops[2], aa_values[2]))
    AND (aa_keys[3] = '' OR inferops_attr_match(aa_span, aa_resource, aa_keys[3], aa_ops[3], aa_values[3]))
    AND (aa_keys[4] = '' OR inferops_attr_match(aa_span, aa_resource, aa_keys[4], aa_ops[4], aa_values[4]))
    AND (aa_keys[5] = '' OR inferops_attr_match(aa_span, aa_resource, aa_keys[5], aa_ops[5], aa_values[5]))
    AND (aa_keys[6] = '' OR inferops_attr_match(aa_span, aa_resource, aa_keys[6], aa_ops[6], aa_values[6]))
    AND (aa_keys[7] = '' OR inferops_attr_match(aa_span, aa_resource, aa_keys[7], aa_ops[7], aa_values[7]))
    AND (aa_keys[8] = '' OR inferops_attr_match(aa_span, aa_resource, aa_keys[8], aa_ops[8], aa_values[8]))
    AND (aa_keys[9] = '' OR inferops_attr_match(aa_span, aa_resource, aa_keys[9], aa_ops[9], aa_values[9]))
    AND (aa_keys[10] = '' OR inferops_attr_match(aa_span, aa_resource, aa_keys[10], aa_ops[10], aa_values[10]));
