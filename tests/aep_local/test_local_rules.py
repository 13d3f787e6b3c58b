"""Pure rules without a server: etag shape and uniqueness, If-Match normalisation, S3 patterns."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from aep_local.flowservice import specs
from aep_local.flowservice.model import make_etag, strip_etag
from aep_spec import s3

ETAG_RE = re.compile(r'^"[0-9a-f]{8}-0000-0200-0000-[0-9a-f]{8}0000"$')


@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_etag_shape_and_injective(a: int, b: int) -> None:
    ea, eb = make_etag(a, 1_700_000_000), make_etag(b, 1_700_000_000)
    assert ETAG_RE.match(ea)
    assert (ea == eb) == (a == b)


def test_etag_carries_unix_seconds() -> None:
    assert make_etag(1, 0x5E3B41A1).endswith('-5e3b41a10000"')


@given(st.text(alphabet="0123456789abcdef-", min_size=1, max_size=40))
def test_strip_etag_accepts_any_quoting(token: str) -> None:
    for form in (token, f'"{token}"', f'W/"{token}"', f' "{token}" '):
        assert strip_etag(form) == token.strip('"')


def test_bucket_name_rule() -> None:
    pattern = re.compile(s3.BUCKET_NAME_PATTERN)
    for good in ("abc", "my-bucket-1", "a" * 63, "0bucket9"):
        assert pattern.match(good), good
    for bad in ("ab", "a" * 64, "-abc", "abc-", "Abc", "a_b", "a.b", "10.0.0.1", "abc\n"):
        assert not pattern.match(bad), bad


def test_folder_path_rule() -> None:
    pattern = re.compile(s3.FOLDER_PATH_PATTERN)
    for good in ("data", "data/in", "/data/in", "x" * 255, "con1", "CONSOLE", ".hidden"):
        assert pattern.match(good), good
    for bad in ("data/", "/", "", "a//b", "x" * 256, "CON", "a/nul", "lpt1/b", "a/../b", "./a",
                "a/b:c", "a|b", "a<b", 'a"b', "a*b", "a?b", "a\\b", "a\tb", "data\n"):
        assert not pattern.match(bad), bad


def test_service_url_rule() -> None:
    pattern = re.compile(specs.SERVICE_URL_PATTERN)
    assert pattern.match("https://s3.us-east-1.amazonaws.com")
    assert pattern.match("https://s3.eu-west-3.amazonaws.com/")
    assert not pattern.match("http://s3.us-east-1.amazonaws.com")
    assert not pattern.match("https://evil.example.com")
    assert not pattern.match("https://s3.us-east-1.amazonaws.com\n")


def test_masking() -> None:
    shown = specs.mask_params({"s3AccessKey": "AKIAIOSFODNN7EXAMPLE", "s3SecretKey": "s",
                               "s3SessionToken": "t", "bucketName": "b"})
    assert shown == {"s3AccessKey": "AKIA***", "s3SecretKey": "***", "s3SessionToken": "***",
                     "bucketName": "b"}
    assert specs.mask_params({"s3AccessKey": "short"})["s3AccessKey"] == "***"
