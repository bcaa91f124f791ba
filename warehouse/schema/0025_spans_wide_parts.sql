-- Group-committed span batches are written as wide parts (a file per column) instead of compact ones
-- (all columns in one file). A merge of wide parts sorts the key columns first and then copies every
-- other column on its own (a vertical merge), which costs less than merging compact parts row by row:
-- ten 65k-span parts merged in 0.74 against 0.90 s of CPU; saturated ingest on one core 51.4k / 51.8k
-- against 49.7k / 50.4k spans/s stored, alternating runs (bench/README.md, 2026-11-30 f). Small
-- inserts (under 10,000 rows, as at light load) stay compact: a file per column would cost them more.
ALTER TABLE spans MODIFY SETTING min_bytes_for_wide_part = 0, min_rows_for_wide_part = 10000;
