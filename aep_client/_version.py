"""The package version: the provider's, from the one place it is written."""

from aep_spec.identity import VERSION as __version__

__all__ = ["__version__"]
