"""Provider configuration: env fallbacks, defaults, validation, and a repr without the secret."""

from __future__ import annotations

import pytest

from aep_client.config import DEFAULT_SCOPES, FlowServiceConfig
from aep_client.errors import ConfigurationError

ENV = {"AEP_CLIENT_ID": "cid", "AEP_CLIENT_SECRET": "CANARY-secret-config", "AEP_ORG_ID": "org@AdobeOrg"}


def test_defaults_from_design() -> None:
    cfg = FlowServiceConfig.from_env(environ=ENV)
    assert cfg.flow_service_url == "https://platform.adobe.io/data/foundation/flowservice"
    assert cfg.ims_url == "https://ims-na1.adobelogin.com"
    assert cfg.sandbox_name == "prod"
    assert cfg.scopes == DEFAULT_SCOPES == (
        "openid", "AdobeID", "read_organizations", "additional_info.projectedProductContext", "session")
    assert (cfg.request_timeout, cfg.operation_timeout, cfg.max_retries) == (30.0, 300.0, 5)
    assert (cfg.client_id, cfg.client_secret, cfg.org_id) == ("cid", "CANARY-secret-config", "org@AdobeOrg")


def test_every_attribute_falls_back_to_its_env_var() -> None:
    env = {**ENV, "AEP_FLOW_SERVICE_URL": "http://127.0.0.1:8750/data/foundation/flowservice/",
           "AEP_IMS_URL": "http://127.0.0.1:8750", "AEP_SANDBOX_NAME": "dev", "AEP_SCOPES": "openid, AdobeID,,",
           "AEP_REQUEST_TIMEOUT": "2.5", "AEP_OPERATION_TIMEOUT": "60", "AEP_MAX_RETRIES": "0"}
    cfg = FlowServiceConfig.from_env(environ=env)
    assert cfg.flow_service_url == "http://127.0.0.1:8750/data/foundation/flowservice"  # trailing slash dropped
    assert cfg.ims_url == "http://127.0.0.1:8750"
    assert cfg.sandbox_name == "dev"
    assert cfg.scopes == ("openid", "AdobeID")
    assert (cfg.request_timeout, cfg.operation_timeout, cfg.max_retries) == (2.5, 60.0, 0)
    assert isinstance(cfg.max_retries, int)


def test_overrides_win_and_none_or_empty_means_unset() -> None:
    env = {**ENV, "AEP_SANDBOX_NAME": "from-env", "AEP_MAX_RETRIES": "7"}
    cfg = FlowServiceConfig.from_env({"sandbox_name": "from-config", "max_retries": None, "client_id": "",
                                      "scopes": ["a", "b"], "request_timeout": 5}, environ=env)
    assert cfg.sandbox_name == "from-config"
    assert cfg.max_retries == 7
    assert cfg.client_id == "cid"
    assert cfg.scopes == ("a", "b")
    assert cfg.request_timeout == 5.0


def test_empty_env_values_count_as_unset() -> None:
    cfg = FlowServiceConfig.from_env(environ={**ENV, "AEP_SANDBOX_NAME": "  ", "AEP_MAX_RETRIES": ""})
    assert cfg.sandbox_name == "prod" and cfg.max_retries == 5


def test_from_env_reads_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    assert FlowServiceConfig.from_env().client_id == "cid"


def test_missing_required_names_attributes_and_env_vars() -> None:
    with pytest.raises(ConfigurationError) as info:
        FlowServiceConfig.from_env(environ={"AEP_CLIENT_ID": "cid"})
    assert "client_secret (AEP_CLIENT_SECRET)" in str(info.value)
    assert "org_id (AEP_ORG_ID)" in str(info.value)
    assert isinstance(info.value, ValueError)
    assert info.value.attributes == ("client_secret", "org_id")


@pytest.mark.parametrize(("name", "value"), [
    ("request_timeout", "0"), ("request_timeout", "abc"), ("operation_timeout", "-1"),
    ("max_retries", "1.5"), ("max_retries", "-1"), ("flow_service_url", "ftp://x"), ("ims_url", "nope"),
    ("scopes", " , "), ("request_timeout", "nan"),
])
def test_invalid_values_are_rejected(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        FlowServiceConfig.from_env({name: value}, environ=ENV)
    assert name in str(info.value)
    assert info.value.attributes == (name,)


def test_unknown_override_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match="sandbox"):
        FlowServiceConfig.from_env({"sandbox": "x"}, environ=ENV)


def test_repr_and_str_hide_the_secret() -> None:
    cfg = FlowServiceConfig.from_env(environ=ENV)
    for text in (repr(cfg), str(cfg), f"{cfg}", f"{cfg!r}"):
        assert "CANARY-secret-config" not in text
        assert "client_secret=***" in text
        assert "client_id='cid'" in text


def test_config_is_frozen() -> None:
    cfg = FlowServiceConfig.from_env(environ=ENV)
    with pytest.raises(AttributeError):
        cfg.client_id = "other"  # type: ignore[misc]
