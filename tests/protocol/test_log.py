"""hclog-style JSON logging: what go-plugin parses into leveled Terraform log lines."""

from __future__ import annotations

import io
import json
import logging

from aep_provider.protocol import log


def test_records_are_hclog_json_lines() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(log.HclogFormatter())
    logger = logging.getLogger("aep.test_log")
    logger.addHandler(handler)
    logger.setLevel(log.TRACE)
    try:
        logger.warning("hello %s", "there", extra={"fields": {"attempt": 2}})
        logger.log(log.TRACE, "fine detail")
    finally:
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["@level"] == "warn" and first["@message"] == "hello there" and first["attempt"] == 2
    assert first["@module"] == "aep.test_log" and first["@timestamp"].endswith("+00:00")
    assert second["@level"] == "trace"


def test_level_from_env() -> None:
    assert log.level_from_env({}) == logging.INFO
    assert log.level_from_env({"TF_LOG": "debug"}) == logging.DEBUG
    assert log.level_from_env({"TF_LOG": "debug", "TF_LOG_PROVIDER": "ERROR"}) == logging.ERROR
    assert log.level_from_env({"TF_LOG": "json"}) == log.TRACE
    assert log.level_from_env({"TF_LOG": "bogus"}) == log.TRACE


def test_get_logger_is_under_the_provider_module() -> None:
    assert log.get_logger("client").name == "aep.client"
    assert log.get_logger("aep.x").name == "aep.x"
    assert log.get_logger("aep") is logging.getLogger("aep")
