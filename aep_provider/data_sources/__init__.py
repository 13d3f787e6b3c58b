"""One handler per data source type: reads that create nothing (explore, runs, look-ups by name)."""
