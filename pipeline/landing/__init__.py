"""The raw zone: append-only, atomically written, Hive-partitioned Parquet with explicit schemas."""
