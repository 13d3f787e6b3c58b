"""Flow Service: base connections, source and target connections, flows and their runs, the
connection and flow specs, `/test` and `/explore` (`routes` in front of the model)."""
