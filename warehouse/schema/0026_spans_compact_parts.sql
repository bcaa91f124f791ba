-- Group-committed span batches are written as compact parts again (all columns in one file), undoing
-- 0025's wide threshold. A wide part of the spans table is ~180 files - one or two per column, each
-- created and written on its own - and on a busy one-core ingest that file creation (ext4 inode
-- allocation) was a visible share of every insert; a compact part is a dozen files. Inserting a 65k-span
-- batch cost 5.5-5.9 us a span against 6.8-7.9 wide; saturated ingest on one core stored 101-127k spans/s
-- against 85-94k wide, alternating runs, and at a steady 50k spans/s the core's share was the same
-- (bench/README.md, 2026-12-01). Parts of a million rows or more - only ever made by merges - are still
-- written wide, so that a query reading a few columns of a large part reads only those columns' files.
ALTER TABLE spans MODIFY SETTING min_bytes_for_wide_part = 0, min_rows_for_wide_part = 1000000;
