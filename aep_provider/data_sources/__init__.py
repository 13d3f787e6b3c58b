"""One handler per data source type: reads of Flow Service that create nothing (explore, runs)."""
