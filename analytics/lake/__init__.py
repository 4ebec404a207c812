"""The store's engine: a DuckLake (a SQL catalog beside Parquet data files) opened through DuckDB.

`extensions` loads DuckDB's extensions from their installed wheels (never downloaded);
`location` says where a store lives (a folder, or a PostgreSQL catalog with its data elsewhere);
`catalog` attaches it, creates its tables, lists snapshots and runs writers as transactions.
Readers go through analytics.store.Store, which pins one snapshot.
"""
