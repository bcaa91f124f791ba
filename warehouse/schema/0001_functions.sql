-- SQL functions shared by the ingest materialised views: OTLP AnyValue → String, attribute lists → maps.
-- ("First non-empty of these keys" is written out as multiIf chains in the views: a lambda over a
-- key array costs about five times as much per row.) The ingest tables
-- declare AnyValue's int, double and bool fields as Nullable(String): ClickHouse's Protobuf input
-- converts them to text while parsing, which keeps these expressions (and their planning) small.
CREATE FUNCTION IF NOT EXISTS inferops_leaf_str {{on_cluster}} AS (leaf_v) -> coalesce(
    tupleElement(leaf_v, 'string_value'),
    tupleElement(leaf_v, 'int_value'),
    tupleElement(leaf_v, 'double_value'),
    tupleElement(leaf_v, 'bool_value'),
    base64Encode(tupleElement(leaf_v, 'bytes_value')),
    '');

CREATE FUNCTION IF NOT EXISTS inferops_any_str {{on_cluster}} AS (any_v) -> coalesce(
    tupleElement(any_v, 'string_value'),
    tupleElement(any_v, 'int_value'),
    tupleElement(any_v, 'double_value'),
    tupleElement(any_v, 'bool_value'),
    base64Encode(tupleElement(any_v, 'bytes_value')),
    if(empty(tupleElement(tupleElement(any_v, 'array_value'), 'values')), NULL, toJSONString(arrayMap(any_el -> inferops_leaf_str(any_el), tupleElement(tupleElement(any_v, 'array_value'), 'values')))),
    if(empty(tupleElement(tupleElement(any_v, 'kvlist_value'), 'values')), NULL,
       toJSONString(mapFromArrays(arrayMap(any_kv -> tupleElement(any_kv, 'key'), tupleElement(tupleElement(any_v, 'kvlist_value'), 'values')),
                                  arrayMap(any_kv2 -> inferops_leaf_str(tupleElement(any_kv2, 'value')), tupleElement(tupleElement(any_v, 'kvlist_value'), 'values'))))),
    '');

CREATE FUNCTION IF NOT EXISTS inferops_attrs {{on_cluster}} AS (attr_kvs) -> mapFromArrays(
    arrayMap(attr_kv -> tupleElement(attr_kv, 'key'), attr_kvs),
    arrayMap(attr_kv2 -> inferops_any_str(tupleElement(attr_kv2, 'value')), attr_kvs));

CREATE FUNCTION IF NOT EXISTS inferops_count {{on_cluster}} AS (count_s) -> toUInt64(greatest(toFloat64OrZero(count_s), 0));

CREATE FUNCTION IF NOT EXISTS inferops_ns {{on_cluster}} AS (ns_t) -> fromUnixTimestamp64Nano(toInt64(least(ns_t, 9223372036854775807)), 'UTC');
