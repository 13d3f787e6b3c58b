"""`/test`, `/explore` and the runs' reads: real S3 calls with the stored credentials, signed by botocore.

Creation only checks structure (as Adobe does); these two operations are where a wrong key,
a missing permission or an unreachable endpoint shows up. The emulator talks only to loopback
endpoints unless `--allow-remote-s3` is given, so a CI run never sends credentials off the host.
botocore is imported lazily: the rest of the emulator works without it.
"""

from __future__ import annotations

import ipaddress
import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from . import errors, specs

DEFAULT_ENDPOINT = "https://s3.amazonaws.com"
DEFAULT_REGION = "us-east-1"
_REGION_RE = re.compile(r"^https://s3[.-]([a-z0-9-]+)\.amazonaws\.com(\.cn)?/?$")
PREVIEWABLE = frozenset({"csv", "tsv", "txt", "psv", "dsv", "json", "jsonl", "parquet", "gz", "zip"})
MAX_ENTRIES = 5000
PREVIEW_BYTES = 65536


@dataclass(frozen=True)
class S3Settings:
    """How the emulator reaches S3; see the CLI flags of the same names."""

    endpoint: str | None = None            # --s3-endpoint: used instead of every serviceUrl
    allow_remote: bool = False             # --allow-remote-s3
    connect_timeout: float = 3.0           # --s3-timeout (connect and read)
    read_timeout: float = 10.0
    iam_role_credentials: tuple[str, str] | None = None  # --iam-role-credentials KEY:SECRET


class Unreachable(Exception):
    """No answer from S3: nothing listening, timeout, or an endpoint we may not contact."""


class Denied(Exception):
    """S3 answered with an error (bad key, bad signature, no permission, no such bucket)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def region_of(service_url: str | None) -> str:
    match = _REGION_RE.match(service_url or "")
    return match.group(1) if match else DEFAULT_REGION


_SESSION_LOCK = threading.Lock()
_SESSION: Any = None


def _botocore_session() -> Any:
    """One botocore session per process (creating one loads ~1 MB of service models)."""
    global _SESSION
    with _SESSION_LOCK:
        if _SESSION is None:
            try:
                import botocore.session
            except ImportError:
                raise Unreachable("botocore is not installed; /test and /explore need it") from None
            session = botocore.session.Session()
            # Never let the host's AWS profile or config files leak into a check.
            session.set_config_variable("credentials_file", "/dev/null")
            session.set_config_variable("config_file", "/dev/null")
            _SESSION = session
        return _SESSION


def local_client(endpoint: str) -> Any:
    """A client with throwaway credentials for a local S3 server (seeding `--local-s3`)."""
    session = _botocore_session()
    with _SESSION_LOCK:
        return session.create_client("s3", region_name=DEFAULT_REGION, endpoint_url=endpoint,
                                     aws_access_key_id="local", aws_secret_access_key="local")  # noqa: S106


class Connectivity:
    """Runs the S3 calls behind `/test` and `/explore` for one stored connection record."""

    def __init__(self, settings: S3Settings | None = None) -> None:
        self.settings = settings or S3Settings()

    # --- public ----------------------------------------------------------------------------

    def test(self, record: Mapping[str, Any]) -> bool:
        """True when the credentials can list the connection's scope (or the buckets)."""
        params = record["auth"]["params"]
        try:
            client = self.client(record)
            bucket = params.get("bucketName")
            if bucket:
                self.call(client, "list_objects_v2", Bucket=bucket, Prefix=_scope_prefix(params),
                           MaxKeys=1)
            else:
                self.call(client, "list_buckets")
        except (Unreachable, Denied):
            return False
        return True

    def explore(self, record: Mapping[str, Any], query: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
        params = record["auth"]["params"]
        object_type = _first(query, "objectType")
        if not object_type:
            raise errors.FlowError("1359", 400, "The param objectType is missing in the request. "
                                   "Please provide a valid objectType and try again.",
                                   title="Bad Request")
        kind = object_type.lower()
        if kind not in ("root", "folder", "file"):
            raise errors.FlowError("1358", 400, "The provided param 'objectType' is invalid. "
                                   "Please provide a valid objectType and try again.",
                                   title="Bad Request")
        obj = _first(query, "object")
        if kind != "root" and not obj:
            raise errors.FlowError("1337", 400, f"The object cannot be empty for objectType="
                                   f"{object_type}. Please provide valid object and try again.",
                                   title="Bad Request")
        try:
            client = self.client(record)
            if kind == "root" or obj is None or (kind == "folder" and obj.strip("/") in ("", "root")):
                return self._root(client, params)
            bucket, key = _split_object(obj)
            _check_scope(params, bucket, key)
            if kind == "folder":
                return self._folder(client, bucket, key)
            return self._file(client, bucket, key, query)
        except Unreachable as exc:
            raise errors.FlowError("1100", 400, "The request could not be processed. The S3 "
                                   f"endpoint could not be reached: {exc}", title="Bad Request") from None
        except Denied as exc:
            raise errors.FlowError("1100", 400, "The request could not be processed. S3 answered "
                                   f"{exc.code}: {redact(exc.message, params)}",
                                   title="Bad Request") from None

    # --- S3 calls ----------------------------------------------------------------------------

    def client(self, record: Mapping[str, Any]) -> Any:
        """A botocore S3 client for a base connection record (its stored credentials)."""
        params = record["auth"]["params"]
        service_url = params.get("serviceUrl")
        url = self.settings.endpoint or service_url or DEFAULT_ENDPOINT
        host = urlsplit(url).hostname
        if not self.settings.allow_remote and not is_loopback(host):
            raise Unreachable(f"{url} is not a loopback address and the emulator was not started "
                              "with --allow-remote-s3")
        if record["auth"]["specName"] == specs.IAM_ROLE:
            if self.settings.iam_role_credentials is None:
                raise Unreachable("IAM role connections need --iam-role-credentials to stand in "
                                  "for the role Adobe assumes")
            key, secret = self.settings.iam_role_credentials
            token = None
        else:
            key, secret = params["s3AccessKey"], params["s3SecretKey"]
            token = params.get("s3SessionToken")
        from botocore.config import Config

        config = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                        retries={"max_attempts": 1, "mode": "standard"},
                        connect_timeout=self.settings.connect_timeout,
                        read_timeout=self.settings.read_timeout,
                        user_agent_extra="local-aep")
        session = _botocore_session()
        with _SESSION_LOCK:  # sessions are not thread-safe; the clients they make are
            return session.create_client("s3", region_name=region_of(service_url), endpoint_url=url,
                                         aws_access_key_id=key, aws_secret_access_key=secret,
                                         aws_session_token=token, config=config)

    @staticmethod
    def call(client: Any, operation: str, **kwargs: Any) -> dict[str, Any]:
        """One S3 operation; `Denied` when S3 answers an error, `Unreachable` when it does not answer."""
        from botocore import exceptions as bce

        try:
            return dict(getattr(client, operation)(**kwargs))
        except bce.ClientError as exc:
            error = exc.response.get("Error", {})
            raise Denied(str(error.get("Code") or "Error"), str(error.get("Message") or "")) from None
        except (bce.EndpointConnectionError, bce.ConnectTimeoutError, bce.ReadTimeoutError,
                bce.ConnectionClosedError, bce.HTTPClientError) as exc:
            raise Unreachable(type(exc).__name__) from None

    def _root(self, client: Any, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        bucket = params.get("bucketName")
        if not bucket:
            buckets = self.call(client, "list_buckets").get("Buckets", [])
            return [_folder_entry(f"/{b['Name']}/") for b in sorted(buckets, key=lambda b: b["Name"])]
        prefix = _scope_prefix(params)
        self.call(client, "list_objects_v2", Bucket=bucket, Prefix=prefix, MaxKeys=1)
        return [_folder_entry(f"/{bucket}/{prefix}")]

    def _folder(self, client: Any, bucket: str, key: str) -> list[dict[str, Any]]:
        prefix = f"{key.strip('/')}/" if key.strip("/") else ""
        folders: list[dict[str, Any]] = []
        files: list[dict[str, Any]] = []
        token: str | None = None
        while len(folders) + len(files) < MAX_ENTRIES:
            kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "Delimiter": "/"}
            if token:
                kwargs["ContinuationToken"] = token
            page = self.call(client, "list_objects_v2", **kwargs)
            folders += [_folder_entry(f"/{bucket}/{p['Prefix']}") for p in page.get("CommonPrefixes", [])]
            files += [_file_entry(f"/{bucket}/{o['Key']}") for o in page.get("Contents", [])
                      if o["Key"] != prefix]
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                break
        return folders + files

    def _file(self, client: Any, bucket: str, key: str,
              query: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
        file_type = (_first(query, "fileType") or _extension(key) or "").lower()
        body = self.call(client, "get_object", Bucket=bucket, Key=key,
                          Range=f"bytes=0-{PREVIEW_BYTES - 1}")["Body"].read()
        text = body.decode("utf-8", errors="replace")
        if file_type in ("delimited", "csv", "tsv", "txt", "psv", "dsv"):
            delimiter = _first(query, "columnDelimiter") or ("\t" if file_type == "tsv" else ",")
            header = text.splitlines()[0] if text else ""
            return [{"name": col.strip().strip('"'), "type": "String"} for col in header.split(delimiter)]
        if file_type in ("json", "jsonl"):
            return _json_columns(text)
        raise errors.FlowError("1100", 400, "The request could not be processed. The emulator can "
                               f"only inspect delimited and JSON files, not fileType={file_type or '?'}.",
                               title="Bad Request")


# --- helpers -----------------------------------------------------------------------------------

def _first(query: Mapping[str, Sequence[str]], name: str) -> str | None:
    for key, values in query.items():  # Adobe's samples spell it fileType and FileType
        if key.lower() == name.lower() and values:
            return values[0]
    return None


def _scope_prefix(params: Mapping[str, Any]) -> str:
    folder = str(params.get("folderPath") or "").strip("/")
    return f"{folder}/" if folder else ""


def _split_object(obj: str) -> tuple[str, str]:
    """`/bucket/a/b` -> (`bucket`, `a/b`); Adobe's explore paths start with the bucket."""
    bucket, _, key = obj.strip().lstrip("/").partition("/")
    return bucket, key


def _check_scope(params: Mapping[str, Any], bucket: str, key: str) -> None:
    """A connection with bucketName/folderPath may only look inside them."""
    wanted = params.get("bucketName")
    scope = _scope_prefix(params)
    inside = (not wanted or bucket == wanted) and (not scope or f"{key.strip('/')}/".startswith(scope))
    if not inside:
        raise errors.FlowError("1100", 400, f"The request could not be processed. '/{bucket}/{key}' "
                               "is outside the connection's bucketName/folderPath.", title="Bad Request")


def _folder_entry(path: str) -> dict[str, Any]:
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return {"type": "folder", "name": name, "path": path, "canPreview": False, "canFetchSchema": False}


def _file_entry(path: str) -> dict[str, Any]:
    previewable = _extension(path) in PREVIEWABLE
    return {"type": "file", "name": path.rsplit("/", 1)[-1], "path": path,
            "canPreview": previewable, "canFetchSchema": previewable}


def _extension(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _json_columns(text: str) -> list[dict[str, Any]]:
    try:
        doc: Any = json.loads(text)
    except json.JSONDecodeError:
        first = text.splitlines()[0] if text else ""
        try:
            doc = json.loads(first)  # JSON lines
        except json.JSONDecodeError:
            raise errors.FlowError("1100", 400, "The request could not be processed. The file is "
                                   "not valid JSON.", title="Bad Request") from None
    if isinstance(doc, list):
        doc = doc[0] if doc else {}
    if not isinstance(doc, dict):
        return []
    return [{"name": k, "type": _json_type(v)} for k, v in doc.items()]


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Double"
    if isinstance(value, dict):
        return "Object"
    if isinstance(value, list):
        return "Array"
    return "String"


def redact(message: str, params: Mapping[str, Any]) -> str:
    for name in ("s3SecretKey", "s3SessionToken", "s3AccessKey"):
        value = params.get(name)
        if isinstance(value, str) and len(value) >= 4:
            message = message.replace(value, "***")
    return message
