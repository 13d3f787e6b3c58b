"""App files for throw-away projects: the shapes tests and benchmarks deploy besides main.py."""
