"""The S3 spec's rules (aep_spec.rules): examples, properties, and agreement with the
JSON Schemas the local AEP validates with (aep_spec.s3)."""

from __future__ import annotations

import ipaddress
import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from aep_provider.resources.s3_validation import ATTRIBUTES as TERRAFORM_ATTRIBUTES
from aep_spec import rules as s3_rules
from aep_spec import s3
from aep_spec.rules import (
    RuleViolation,
    check_auth,
    check_bucket_name,
    check_folder_path,
    check_region,
    check_secret,
    check_service_url,
    check_text,
    service_url_for_region,
)
from aep_spec.s3 import (
    ACCESS_KEY,
    IAM_ROLE_BASED,
    PARAM_ACCESS_KEY,
    PARAM_BUCKET_NAME,
    PARAM_SECRET_KEY,
    PARAM_SESSION_TOKEN,
)

LOWER_ALNUM = string.ascii_lowercase + string.digits


def rules(violations: list[RuleViolation]) -> str:
    return " | ".join(str(v) for v in violations)


# --- bucket name ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["abc", "acme-data", "a" * 63, "0-9", "my-bucket-2024", "a--b"])
def test_valid_bucket_names(name: str) -> None:
    assert check_bucket_name(name) == []


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("ab", "3 to 63 characters long (it has 2)"),
        ("a" * 64, "3 to 63 characters long (it has 64)"),
        ("", "3 to 63 characters"),
        ("Acme", "only lowercase letters, digits and hyphens"),
        ("acme_data", "only lowercase letters, digits and hyphens"),
        ("acme.data", "only lowercase letters, digits and hyphens"),
        ("acme data", "only lowercase letters, digits and hyphens"),
        ("-acme", "start and end with a lowercase letter or a digit"),
        ("acme-", "start and end with a lowercase letter or a digit"),
        ("192.168.5.4", "must not be formatted as an IP address"),
    ],
)
def test_invalid_bucket_names(name: str, rule: str) -> None:
    violations = check_bucket_name(name)
    assert violations, name
    assert all(v.field == "bucket_name" for v in violations)
    assert rule in rules(violations)


def test_bucket_name_field_is_the_callers() -> None:
    (violation,) = check_bucket_name("ab", field="bucketName")
    assert str(violation).startswith("bucketName: ")


def test_non_string_is_a_violation_not_an_exception() -> None:
    assert check_bucket_name(None) == [RuleViolation("bucket_name", "must be a string")]  # type: ignore[arg-type]
    assert check_folder_path(3) == [RuleViolation("folder_path", "must be a string")]  # type: ignore[arg-type]
    assert check_service_url(b"x")[0].rule == "must be a string"  # type: ignore[arg-type]
    assert check_region(None) != []  # type: ignore[arg-type]


@given(st.text(alphabet=LOWER_ALNUM + "-", min_size=3, max_size=63))
def test_bucket_name_property_matches_the_spec(name: str) -> None:
    expected_ok = name[0] in LOWER_ALNUM and name[-1] in LOWER_ALNUM
    assert (check_bucket_name(name) == []) == expected_ok


@given(st.text(max_size=80))
def test_any_accepted_bucket_name_obeys_every_rule(name: str) -> None:
    if check_bucket_name(name) == []:
        assert 3 <= len(name) <= 63
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*[a-z0-9]", name)


@given(st.ip_addresses(v=4))
def test_ip_addresses_are_never_bucket_names(address: ipaddress.IPv4Address) -> None:
    assert "IP address" in rules(check_bucket_name(str(address)))


# --- folder path ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["in", "in/2024/q1", "/in/2024", "a b/c", "x" * 255, "console/prn1/com10/lpt", "file.csv", "...", "a-b_c"]
)
def test_valid_folder_paths(path: str) -> None:
    assert check_folder_path(path) == [], rules(check_folder_path(path))


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        ("", "must not be empty"),
        ("/", "must not end with '/'"),
        ("in/", "must not end with '/'"),
        ("in//2024", "path component 2 is empty"),
        ("//in", "path component 1 is empty"),
        ("x" * 256, "at most 255 characters long (it has 256)"),
        ("ok/" + "y" * 300, "path component 2 must be at most 255"),
        ('in/"q"', 'forbidden characters "'),
        ("in\\2024", "forbidden characters \\"),
        ("c:", "forbidden characters :"),
        ("a|b", "forbidden characters |"),
        ("a<b>", "forbidden characters < >"),
        ("a*", "forbidden characters *"),
        ("a?", "forbidden characters ?"),
        ("CON", "reserved name"),
        ("in/nul", "reserved name"),
        ("Com1", "reserved name"),
        ("lpt9", "reserved name"),
        ("aux/x", "reserved name"),
        ("prn", "reserved name"),
        (".", "reserved name"),
        ("in/../etc", "reserved name"),
    ],
)
def test_invalid_folder_paths(path: str, rule: str) -> None:
    violations = check_folder_path(path)
    assert violations, path
    assert all(v.field == "folder_path" for v in violations)
    assert rule in rules(violations)


def test_folder_violations_name_the_component() -> None:
    (violation,) = check_folder_path("in/2024/CON")
    assert "path component 3 'CON' is a reserved name" in violation.rule


COMPONENT_ALPHABET = st.characters(blacklist_characters='/"\\:|<>*?', blacklist_categories=("Cs", "Cc"))


@given(st.lists(st.text(alphabet=COMPONENT_ALPHABET, min_size=1, max_size=40), min_size=1, max_size=6), st.booleans())
def test_folder_path_property_components(components: list[str], leading_slash: bool) -> None:
    reserved = any(c.upper() in s3.RESERVED_FOLDER_NAMES for c in components)
    path = ("/" if leading_slash else "") + "/".join(components)
    assert (check_folder_path(path) == []) == (not reserved)
    assert check_folder_path(path + "/") != []  # a trailing slash is never accepted


@given(st.text(alphabet=COMPONENT_ALPHABET, min_size=1, max_size=20), st.sampled_from('"\\:|<>*?'))
def test_any_forbidden_character_is_caught(component: str, bad: str) -> None:
    middle = len(component) // 2
    assert "forbidden characters" in rules(check_folder_path(component[:middle] + bad + component[middle:]))


@given(st.sampled_from(sorted(s3.RESERVED_FOLDER_NAMES)), st.data())
def test_reserved_names_in_any_case(name: str, data: st.DataObject) -> None:
    mixed = "".join(data.draw(st.sampled_from([ch.lower(), ch.upper()])) for ch in name)
    assert "reserved name" in rules(check_folder_path(f"in/{mixed}"))


# --- region and service URL -------------------------------------------------------------------


@pytest.mark.parametrize(
    "region", ["us-east-1", "eu-central-2", "ap-southeast-4", "us-gov-west-1", "il-central-1", "eusc-de-east-1"]
)
def test_regions_and_their_service_url(region: str) -> None:
    assert check_region(region) == []
    url = service_url_for_region(region)
    assert url == f"https://s3.{region}.amazonaws.com"
    assert check_service_url(url) == []


@pytest.mark.parametrize(
    "region", ["", "US-EAST-1", "us-east", "useast1", "us_east_1", "us-east-1a", "-us-east-1", " us-east-1"]
)
def test_invalid_regions(region: str) -> None:
    (violation,) = check_region(region)
    assert violation.field == "region"
    assert "AWS region name such as us-east-1" in violation.rule
    with pytest.raises(ValueError, match="region: must be an AWS region name"):
        service_url_for_region(region)


@given(st.from_regex(r"[a-z]{2}(-[a-z]{3,9}){1,2}-[1-9]", fullmatch=True))
def test_region_shaped_strings_give_valid_urls(region: str) -> None:
    assert check_service_url(service_url_for_region(region)) == []


@pytest.mark.parametrize(
    "url",
    [
        "https://s3.us-east-1.amazonaws.com",
        "https://s3.us-east-1.amazonaws.com/",
        "https://s3.cn-north-1.amazonaws.com.cn",
        "https://s3.us-gov-west-1.amazonaws.com",
    ],
)
def test_valid_service_urls(url: str) -> None:
    assert check_service_url(url) == []


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("s3.us-east-1.amazonaws.com", "scheme must be https"),
        ("http://s3.us-east-1.amazonaws.com", "scheme must be https"),
        ("ftp://s3.amazonaws.com", "scheme must be https"),
        ("http://127.0.0.1:9000", "scheme must be https"),
        ("https://minio.internal.example:9443", "must be https://s3.{REGION}.amazonaws.com"),
        ("https://s3.amazonaws.com", "must be https://s3.{REGION}.amazonaws.com"),
        ("HTTPS://S3.US-EAST-1.AMAZONAWS.COM", "must be https://s3.{REGION}.amazonaws.com"),
        ("https://s3.us-east-1.amazonaws.com/bucket", "must be https://s3.{REGION}.amazonaws.com"),
        ("https://s3.us-east-1.amazonaws.com?x=1", "must be https://s3.{REGION}.amazonaws.com"),
        ("https://s3.us-east-1.amazonaws.com:443", "must be https://s3.{REGION}.amazonaws.com"),
        ("https://AKIA:secret@s3.us-east-1.amazonaws.com", "user info"),
        ("https://s3 .us-east-1.amazonaws.com", "spaces"),
        (" https://s3.us-east-1.amazonaws.com", "spaces"),
        ("https://s3.us-east-1.amazonaws.com\n", "control characters"),
        ("", "scheme must be https"),
    ],
)
def test_invalid_service_urls(url: str, rule: str) -> None:
    violations = check_service_url(url)
    assert violations, url
    assert all(v.field == "service_url" for v in violations)
    assert rule in rules(violations)


@given(st.text(max_size=60))
def test_service_url_checker_never_raises(value: str) -> None:
    for violation in check_service_url(value):
        assert violation.field == "service_url" and violation.rule


def test_service_url_message_does_not_echo_user_info() -> None:
    assert "secret" not in rules(check_service_url("https://AKIA:secret@s3.amazonaws.com"))


# --- text and secrets -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Amazon S3 base connection", "ünïcode ✓", "a", "x" * 1000])
def test_valid_text(value: str) -> None:
    assert check_text(value, "name", required=True) == []


@pytest.mark.parametrize(("value", "rule"), [
    ("", "non-empty"), ("   ", "non-empty"), ("a\nb", "control characters"), ("tab\there", "control characters"),
    ("nul\x00", "control characters"), ("c1\x85", "control characters"), ("del\x7f", "control characters"),
])
def test_invalid_required_text(value: str, rule: str) -> None:
    (violation,) = check_text(value, "name", required=True)
    assert violation.field == "name" and rule in violation.rule


def test_optional_text_may_be_empty() -> None:
    assert check_text("", "description") == []


@pytest.mark.parametrize(("value", "rule"),
                         [("", "must not be empty"), ("AKIA\n", "control characters"), (7, "string")])
def test_invalid_secrets_never_quote_the_value(value: object, rule: str) -> None:
    (violation,) = check_secret(value, "access_key_wo")
    assert rule in violation.rule and "AKIA" not in violation.rule


def test_folder_path_refuses_control_characters() -> None:
    assert "control characters" in rules(check_folder_path("data/\tx"))


# --- the rules and the JSON Schemas agree -----------------------------------------------------

ACCESS_KEY_VALIDATOR = Draft7Validator(s3.ACCESS_KEY_SCHEMA)


def schema_accepts(param: str, value: str) -> bool:
    params = {PARAM_ACCESS_KEY: "AKIA", PARAM_SECRET_KEY: "secret", param: value}
    return ACCESS_KEY_VALIDATOR.is_valid(params)


ALPHABET = st.sampled_from(list(string.ascii_letters + string.digits + "-._/:?#@ \"\\|<>*\n\t\x85"))


@given(st.one_of(st.text(ALPHABET, max_size=70), st.from_regex(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", fullmatch=True)))
def test_bucket_rule_agrees_with_the_schema(value: str) -> None:
    assert (check_bucket_name(value) == []) == schema_accepts(s3.PARAM_BUCKET_NAME, value)


@given(st.one_of(st.text(ALPHABET, max_size=40),
                 st.lists(st.sampled_from(["a", "CON", "com1", ".", "b c", "d:e", "f\tg", ""]), min_size=1, max_size=4)
                 .map("/".join)))
def test_folder_rule_agrees_with_the_schema(value: str) -> None:
    assert (check_folder_path(value) == []) == schema_accepts(s3.PARAM_FOLDER_PATH, value)


@given(st.one_of(st.text(ALPHABET, max_size=50),
                 st.from_regex(r"https?://s3\.[a-z]{2,4}(-[a-z]{2,6}){1,2}-[0-9]{1,2}\.amazonaws\.com(\.cn)?/?",
                               fullmatch=True)))
def test_service_url_rule_agrees_with_the_schema(value: str) -> None:
    assert (check_service_url(value) == []) == schema_accepts(s3.PARAM_SERVICE_URL, value)


@given(st.text(ALPHABET, max_size=12))
def test_secret_rule_agrees_with_the_schema(value: str) -> None:
    assert (check_secret(value, "x") == []) == schema_accepts(PARAM_SESSION_TOKEN, value)


# --- auth specs -------------------------------------------------------------------------------


def test_access_key_requires_both_keys() -> None:
    assert check_auth(ACCESS_KEY, {PARAM_ACCESS_KEY, PARAM_SECRET_KEY}) == []
    assert check_auth(ACCESS_KEY, {PARAM_ACCESS_KEY, PARAM_SECRET_KEY, PARAM_SESSION_TOKEN, PARAM_BUCKET_NAME}) == []
    assert check_auth(None, {PARAM_ACCESS_KEY, PARAM_SECRET_KEY}) == []  # the default spec
    missing = check_auth(ACCESS_KEY, {PARAM_SESSION_TOKEN})
    assert {v.field for v in missing} == {PARAM_ACCESS_KEY, PARAM_SECRET_KEY}
    assert all("is required by auth spec 'Access Key'" in v.rule for v in missing)


def test_iam_role_requires_a_bucket_and_no_keys() -> None:
    assert check_auth(IAM_ROLE_BASED, {PARAM_BUCKET_NAME}) == []
    assert check_auth(IAM_ROLE_BASED, {PARAM_BUCKET_NAME, s3.PARAM_FOLDER_PATH}) == []
    (missing,) = check_auth(IAM_ROLE_BASED, set())
    assert missing == RuleViolation(PARAM_BUCKET_NAME, "is required by auth spec 'IAMRole Based'")
    refused = check_auth(IAM_ROLE_BASED, {PARAM_BUCKET_NAME, PARAM_ACCESS_KEY, PARAM_SECRET_KEY, PARAM_SESSION_TOKEN})
    assert {v.field for v in refused} == {PARAM_ACCESS_KEY, PARAM_SECRET_KEY, PARAM_SESSION_TOKEN}
    assert all("must not be set with auth spec 'IAMRole Based'" in v.rule for v in refused)


def test_auth_messages_use_the_callers_names() -> None:
    violations = check_auth(ACCESS_KEY, set(), TERRAFORM_ATTRIBUTES)
    assert {v.field for v in violations} == {"access_key_wo", "secret_key_wo"}


@pytest.mark.parametrize("name", ["access key", "IAM Role", "", "Basic"])
def test_unknown_auth_spec(name: str) -> None:
    (violation,) = check_auth(name, {PARAM_ACCESS_KEY, PARAM_SECRET_KEY})
    assert violation == RuleViolation("auth_spec_name", "must be 'Access Key' or 'IAMRole Based'")


@given(st.sets(st.sampled_from(sorted(TERRAFORM_ATTRIBUTES))), st.sampled_from([ACCESS_KEY, IAM_ROLE_BASED]))
def test_auth_property(present: set[str], spec: str) -> None:
    ok = check_auth(spec, present) == []
    if spec == ACCESS_KEY:
        assert ok == ({PARAM_ACCESS_KEY, PARAM_SECRET_KEY} <= present)
    else:
        assert ok == (PARAM_BUCKET_NAME in present and not present & s3.SECRET_PARAMS)


def test_format_violations_lists_one_per_line() -> None:
    text = s3_rules.format_violations([RuleViolation("a", "x"), RuleViolation("b", "y")])
    assert text == "- a: x\n- b: y"


def test_spec_constants() -> None:
    assert s3.CONNECTION_SPEC_ID == "ecadc60c-7455-4d87-84dc-2a0e293d997b"
    assert s3.AUTH_SPEC_NAMES == ("Access Key", "IAMRole Based")
    assert {f"COM{n}" for n in range(1, 10)} <= s3.RESERVED_FOLDER_NAMES


def test_a_violation_carries_the_value_judged_but_never_a_secret() -> None:
    (bucket,) = check_bucket_name("Acme_Orders")[:1]
    assert bucket.shows_value and bucket.value == "Acme_Orders"
    assert bucket.described() == f"{bucket}; value: 'Acme_Orders'"
    (secret,) = check_secret("CANARY\n", "secret_key_wo")
    assert not secret.shows_value and "CANARY" not in secret.described()
    assert RuleViolation("f", "r", 1) == RuleViolation("f", "r")  # the rule is what compares
