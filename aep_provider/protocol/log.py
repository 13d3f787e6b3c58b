"""Logging for code running inside the provider process.

Stdout belongs to the go-plugin handshake, so logs go to stderr, one hclog JSON object per line:
Terraform's go-plugin client parses those and re-logs them with their level, which is what makes
``TF_LOG_PROVIDER=debug`` show (and filter) our messages. Extra fields passed as
``logger.info("msg", extra={"fields": {...}})`` become hclog key/value pairs.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

TRACE = 5
logging.addLevelName(TRACE, "TRACE")

_ROOT = "aep"
_HCLOG_LEVELS = {TRACE: "trace", logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warn"}
_adopted: set[str] = set()  # other packages' loggers routed here
_ENV_LEVELS = {
    "TRACE": TRACE,
    "JSON": TRACE,  # TF_LOG=JSON is trace in JSON form
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
    "OFF": logging.CRITICAL + 1,
}


def _hclog_level(levelno: int) -> str:
    if levelno >= logging.ERROR:
        return "error"
    for threshold in (logging.WARNING, logging.INFO, logging.DEBUG):
        if levelno >= threshold:
            return _HCLOG_LEVELS[threshold]
    return "trace"


class HclogFormatter(logging.Formatter):
    """One JSON object per record in the shape hclog writes (``@level``, ``@message``, ...)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "@level": _hclog_level(record.levelno),
            "@message": record.getMessage(),
            "@module": record.name,
            "@timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="microseconds"),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for key, value in fields.items():
                entry.setdefault(str(key), value)
        if record.exc_info:
            # Exception text without locals; callers must not put secrets in messages.
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def level_from_env(environ: Mapping[str, str] = os.environ) -> int:
    """TF_LOG_PROVIDER wins over TF_LOG (as in Terraform); unset or unrecognised means INFO."""
    for var in ("TF_LOG_PROVIDER", "TF_LOG"):
        value = environ.get(var, "").strip().upper()
        if value:
            return _ENV_LEVELS.get(value, TRACE)  # Terraform treats unknown values as TRACE
    return logging.INFO


def _root() -> logging.Logger:
    root = logging.getLogger(_ROOT)
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(HclogFormatter())
        root.addHandler(handler)
        root.setLevel(level_from_env())
        root.propagate = False
    return root


def refresh_level() -> None:
    """Read the level from the environment again (a warm server's child: the server's was not its own)."""
    root = logging.getLogger(_ROOT)
    level = level_from_env()
    for logger in (root, *(logging.getLogger(n) for n in _adopted)):
        if logger.handlers:
            logger.setLevel(level)


def get_logger(name: str) -> logging.Logger:
    """A logger under the provider's "aep" module, writing hclog JSON to stderr."""
    root = _root()
    if name == _ROOT:
        return root
    return root.getChild(name.removeprefix(_ROOT + "."))


def adopt(name: str) -> logging.Logger:
    """Route another package's logger (the API client's) to the same hclog stream on stderr."""
    logger = logging.getLogger(name)
    if not logger.handlers:
        root = _root()
        for handler in root.handlers:
            logger.addHandler(handler)
        logger.setLevel(root.level)
        logger.propagate = False
        _adopted.add(name)
    return logger
