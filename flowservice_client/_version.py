"""Single source of the package version (kept separate so importing it costs nothing)."""

__version__ = "0.1.0"
