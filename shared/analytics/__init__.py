"""The nightly analytics export (issue 18): orders, order lines and stock-out days as gzipped JSON Lines in
S3, one folder per business day, which Athena (the stack's Glue tables) and DuckDB (``oms sql``) query."""
