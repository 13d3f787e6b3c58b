"""HTTP session for Flow Service: the headers of every call, retries, deadlines, logging.

Retry policy (why it looks like this): see :mod:`aep_client.retry`.

* The mounted ``HTTPAdapter`` retries nothing; the session asks one :class:`RetryPolicy`.
* Idempotent requests (GET, HEAD, OPTIONS, PUT, DELETE, and PATCH carrying ``If-Match``, which
  the server applies at most once) are retried on 429/500/502/503/504, connection errors and
  read timeouts, within the per-operation deadline.
* A POST is retried only when it certainly did not reach the server (connection refused,
  connect timeout, DNS) or was answered 429. A read timeout, a reset after sending or a 5xx
  raises :class:`OutcomeUnknownError` so the caller can reconcile instead of duplicating.
* A 401 invalidates the token and is retried once with a fresh one; a second 401 fails.
* Connection-level failures of one endpoint are retried within one window
  (:attr:`RetryPolicy.unreachable_after`); then the session gives up on it and every later call
  fails at once with the same :class:`UnreachableError` (:mod:`aep_client.reachability`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError
from urllib3.exceptions import ProxyError as Urllib3ProxyError

from ._version import __version__
from .config import FlowServiceConfig
from .errors import (
    Endpoint,
    NotSentError,
    OperationTimeoutError,
    OutcomeUnknownError,
    TransportError,
    UnreachableError,
    error_from_response,
    redact,
)
from .ims import TokenProvider
from .inflight import SlotAdapter, SlotUnavailable, slots_from_env
from .progress import RetryNote, reporter_from_env
from .reachability import Reachability, origin_of, unreachable_reason
from .retry import RETRY_STATUSES, RetryPolicy

__all__ = [
    "CallStats",
    "FlowServiceSession",
    "build_http_session",
]

log = logging.getLogger("aep_client")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
USER_AGENT = (
    f"terraform-provider-aep/{__version__} aep-client/{__version__} "
    f"python-requests/{requests.__version__}"
)

_NOT_SENT = "not-sent"
_AMBIGUOUS = "ambiguous"
_FATAL = "fatal"

Params = Mapping[str, Any] | Sequence[tuple[str, Any]] | None


@dataclass
class CallStats:
    """What happened during one logical call; lets callers reconcile after ambiguous retries."""

    attempts: int = 0
    #: an earlier attempt may have reached the server although no response was seen
    ambiguous: bool = False
    token_refreshed: bool = False


def build_http_session(pool_maxsize: int = 64, slots: str | None = None) -> requests.Session:
    """A ``requests.Session`` whose adapters pool connections but never retry on their own; each
    request within a slot of the command's in-flight bound when ``slots`` (or
    ``$AEP_IN_FLIGHT_SOCKET``) names one (:mod:`aep_client.inflight`)."""
    http = requests.Session()
    path = slots or slots_from_env()
    options: dict[str, Any] = {"pool_connections": 4, "pool_maxsize": pool_maxsize, "max_retries": 0}
    adapter = SlotAdapter(path, **options) if path else HTTPAdapter(**options)
    http.mount("https://", adapter)
    http.mount("http://", adapter)
    return http


def classify_transport_error(err: requests.RequestException) -> str:
    """Did the request possibly reach the server? ``not-sent``, ``ambiguous`` or ``fatal``."""
    if isinstance(err, requests.exceptions.ConnectTimeout):
        return _NOT_SENT
    if isinstance(err, requests.exceptions.SSLError):
        return _FATAL
    if isinstance(err, (requests.exceptions.ReadTimeout, requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.ContentDecodingError)):
        return _AMBIGUOUS
    if isinstance(err, requests.exceptions.ConnectionError):
        root: Any = err.args[0] if err.args else None
        if isinstance(root, MaxRetryError):
            root = root.reason
        if isinstance(root, Urllib3ProxyError):
            root = root.original_error
        if isinstance(root, ConnectTimeoutError):  # includes NewConnectionError, NameResolutionError
            return _NOT_SENT
        return _AMBIGUOUS
    if isinstance(err, requests.exceptions.Timeout):
        return _AMBIGUOUS
    return _FATAL


def _describe(err: BaseException) -> str:
    root: Any = err
    for _ in range(4):
        inner = root.args[0] if getattr(root, "args", None) else None
        if isinstance(root, MaxRetryError):
            inner = root.reason
        elif isinstance(root, Urllib3ProxyError):
            inner = root.original_error
        if not isinstance(inner, BaseException):
            break
        root = inner
    text = str(root)
    # urllib3 puts object reprs in front ("<urllib3.connection.HTTPSConnection object at 0x..>: ...")
    if text.startswith("<") and ">: " in text:
        text = text.split(">: ", 1)[1]
    if root is err:
        return f"{type(err).__name__}: {text}"
    return f"{type(err).__name__} ({type(root).__name__}: {text})"


def _request_id(resp: requests.Response) -> str | None:
    rid = resp.headers.get("x-request-id")
    if rid or resp.status_code < 400:
        return rid
    try:
        report = resp.json().get("report") or {}
        return report.get("request-id")
    except (ValueError, AttributeError):
        return None


class FlowServiceSession:
    """Authenticated, retrying access to one Flow Service endpoint (one org and sandbox).

    Wraps a ``requests.Session`` (``http``) rather than subclassing it: preparing requests
    ourselves keeps ``requests`` from consulting ``~/.netrc`` (which would replace the bearer
    token) and lets any transport adapter be mounted, e.g. a scripted one in tests.
    """

    def __init__(
        self,
        config: FlowServiceConfig,
        http: requests.Session | None = None,
        *,
        tokens: TokenProvider | None = None,
        token_cache_dir: str | None = None,
        use_token_cache: bool = True,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        user_agent: str | None = None,
        retry_policy: RetryPolicy | None = None,
        progress: Callable[[RetryNote], None] | None = None,
    ) -> None:
        self.config = config
        self.http = http if http is not None else build_http_session()
        self._stopping = threading.Event()
        # Waits between retries end early when Terraform is interrupted (see stop()).
        self.sleep: Callable[[float], None] = sleep or self._stoppable_sleep
        self.clock = clock
        self.wall_clock = wall_clock
        self.user_agent = user_agent or USER_AGENT
        self.retry_policy = retry_policy or RetryPolicy(max_retries=config.max_retries)
        self.tokens = tokens or TokenProvider(
            config, self._post_form, cache_dir=token_cache_dir, use_cache=use_token_cache, clock=wall_clock,
            monotonic=clock,
        )
        self._env_settings: dict[str, dict[str, Any]] = {}
        self.reachability = Reachability(clock)
        #: Told of each retry (the terminal of the command that started Terraform, when it listens).
        self.progress = progress if progress is not None else reporter_from_env()

    # -- public helpers -------------------------------------------------------------------

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> FlowServiceSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def new_deadline(self) -> float:
        """The deadline (``clock()`` value) of an operation starting now."""
        return self.clock() + self.config.operation_timeout

    def url(self, path: str, endpoint: Endpoint | None = None) -> str:
        return (endpoint.url if endpoint is not None else self.config.flow_service_url) + path

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        deadline: float | None = None,
        secrets: Iterable[str | None] = (),
        stats: CallStats | None = None,
        idempotent: bool = False,
        endpoint: Endpoint | None = None,
    ) -> requests.Response:
        """One logical call to a service of the platform (``endpoint``; Flow Service by default);
        returns a 2xx/3xx response or raises a typed error.

        ``idempotent`` marks a POST that changes nothing when repeated (a flow's enable action),
        so it is retried like a GET.
        """
        endpoint = endpoint or self.config.flow_service_endpoint
        method = method.upper()
        all_headers: CaseInsensitiveDict[str] = CaseInsensitiveDict({
            "x-api-key": self.config.client_id,
            "x-gw-ims-org-id": self.config.org_id,
            "x-sandbox-name": self.config.sandbox_name,
            "Accept": "application/json",
        })
        if json_body is not None or method in ("POST", "PUT", "PATCH"):
            all_headers["Content-Type"] = "application/json"
        if headers:
            all_headers.update(headers)
        safe = idempotent or method in IDEMPOTENT_METHODS or (method == "PATCH" and "If-Match" in all_headers)
        secret_list = [s for s in secrets if s]
        resp = self._send(
            method,
            self.url(path, endpoint),
            path=path,
            params=params,
            json_body=json_body,
            headers=all_headers,
            deadline=deadline if deadline is not None else self.new_deadline(),
            safe=safe,
            authenticate=True,
            secrets=secret_list,
            stats=stats if stats is not None else CallStats(),
            endpoint=endpoint,
        )
        if resp.status_code >= 400:
            raise error_from_response(
                resp.status_code,
                resp.content,
                resp.headers,
                method=method,
                path=path,
                secrets=secret_list + self.tokens.secrets(),
                etag_sent=all_headers.get("If-Match"),
                endpoint=endpoint,
            )
        return resp

    # -- internals ------------------------------------------------------------------------

    def _post_form(
        self, url: str, form: Mapping[str, str], deadline: float | None
    ) -> tuple[int, bytes, Mapping[str, str]]:
        """IMS token request: a POST that creates nothing, so it is retried like a GET."""
        resp = self._send(
            "POST",
            url,
            path=urlsplit(url).path,
            data=dict(form),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
            deadline=deadline if deadline is not None else self.new_deadline(),
            safe=True,
            authenticate=False,
            secrets=[self.config.client_secret],
            stats=CallStats(),
            endpoint=self.config.ims_endpoint,
        )
        return resp.status_code, resp.content, resp.headers

    def _environment(self, url: str) -> dict[str, Any]:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        settings = self._env_settings.get(origin)
        if settings is None:
            settings = dict(self.http.merge_environment_settings(origin, {}, False, None, None))
            self._env_settings[origin] = settings
        return settings

    def _send(
        self,
        method: str,
        url: str,
        *,
        path: str,
        params: Params = None,
        json_body: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str],
        deadline: float,
        safe: bool,
        authenticate: bool,
        secrets: list[str],
        stats: CallStats,
        endpoint: Endpoint,
    ) -> requests.Response:
        policy = self.retry_policy
        service = endpoint.service
        origin = origin_of(url)
        retries = 0  # re-sends so far (a token refresh after a 401 does not count)
        env = self._environment(url)
        while True:
            self.reachability.check(origin, method, path)
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise OperationTimeoutError(
                    None, None, None, f"operation_timeout ({self.config.operation_timeout:g} s) exceeded",
                    method=method, path=path, service=service,
                )
            send_headers = {"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate", **headers}
            token: str | None = None
            if authenticate:
                token = self.tokens.get_token(deadline)
                send_headers["Authorization"] = f"Bearer {token}"
                remaining = deadline - self.clock()
                if remaining <= 0:
                    continue
            prepared = requests.Request(
                method, url, params=params, data=data, json=json_body, headers=send_headers
            ).prepare()
            timeout = min(self.config.request_timeout, remaining)
            connect_timeout = max(policy.shortest_connect, min(
                timeout, policy.connect_timeout, self.reachability.left(origin, policy.unreachable_after)))
            stats.attempts += 1
            started = self.clock()
            try:
                resp = self.http.send(
                    prepared,
                    timeout=(connect_timeout, timeout),
                    allow_redirects=False,
                    stream=False,
                    verify=env.get("verify", True),
                    cert=env.get("cert"),
                    proxies=env.get("proxies") or {},
                )
            except SlotUnavailable as err:
                raise NotSentError(None, None, None, str(err), method=method, path=path, service=service) from None
            except requests.RequestException as err:
                elapsed = (self.clock() - started) * 1000
                kind = classify_transport_error(err)
                detail = redact(_describe(err), secrets + self.tokens.secrets())
                log.info(
                    "%s %s failed after %.0f ms: %s",
                    method, path, elapsed, detail,
                    extra={"aep_method": method, "aep_path": path, "aep_status": None},
                )
                failure = TransportError(None, None, None, detail, method=method, path=path, service=service)
                if kind == _FATAL:
                    raise failure from None
                if kind == _AMBIGUOUS:
                    if not safe:
                        raise OutcomeUnknownError(
                            None, None, None, f"no response, the request may have been processed: {detail}",
                            method=method, path=path, cause=failure, service=service,
                        ) from None
                    stats.ambiguous = True
                delay = policy.backoff(retries + 1)
                more = policy.allows(retries) and self._can_wait(delay, deadline)
                if kind == _NOT_SENT:
                    failing_for = self.reachability.failing_for(origin, started)
                    if not (more and policy.retries_unreachable(failing_for, delay)):
                        raise self.reachability.give_up(origin, UnreachableError(
                            self._origin_endpoint(endpoint), unreachable_reason(err), policy.unreachable_after,
                            method=method, path=path,
                        )) from None
                elif not more:
                    raise failure from None
                retries += 1
                log.info("retrying %s %s in %.2f s (attempt %d)", method, path, delay, stats.attempts + 1)
                self._retrying(endpoint, unreachable_reason(err) if kind == _NOT_SENT else "no answer",
                               stats.attempts + 1, delay)
                self._pause(delay, method, path, service)
                continue

            self.reachability.answered(origin)
            status = resp.status_code
            elapsed = (self.clock() - started) * 1000
            request_id = _request_id(resp)
            log.log(
                logging.DEBUG if status < 400 else logging.INFO,
                "%s %s -> %d in %.0f ms (request id %s)",
                method, path, status, elapsed, request_id or "-",
                extra={
                    "aep_method": method,
                    "aep_path": path,
                    "aep_status": status,
                    "aep_duration_ms": round(elapsed, 1),
                    "aep_request_id": request_id,
                },
            )
            if status == 401 and authenticate and token is not None and not stats.token_refreshed:
                # A 401 means the gateway stopped the call: safe to re-send, even a POST.
                stats.token_refreshed = True
                self.tokens.invalidate(token)
                continue
            if status not in RETRY_STATUSES:
                return resp
            if not safe and status != 429:
                cause = error_from_response(
                    status, resp.content, resp.headers, method=method, path=path,
                    secrets=secrets + self.tokens.secrets(), endpoint=endpoint,
                )
                detail = f": {cause.message}" if cause.message else ""
                raise OutcomeUnknownError(
                    cause.status, cause.code, cause.title, f"the request may have been processed{detail}",
                    cause.request_id, method=method, path=path, cause=cause, service=service,
                )
            if not policy.retries_status(status, safe=safe) or not policy.allows(retries):
                return resp
            if status != 429:
                # A 5xx may come after the change was committed: a retried conditional write
                # can then fail 412 (or 404 for a delete), which callers must read with care.
                stats.ambiguous = True
            retries += 1
            delay = policy.delay(retries, resp.headers.get("Retry-After"), self.wall_clock())
            if not self._can_wait(delay, deadline):
                if status == 429 and resp.headers.get("Retry-After"):
                    log.info("%s %s: Retry-After %.1f s is beyond the operation deadline", method, path, delay)
                return resp
            log.info("retrying %s %s after %d in %.2f s (attempt %d)", method, path, status, delay, stats.attempts + 1)
            self._retrying(endpoint, f"answered {status}", stats.attempts + 1, delay)
            self._pause(delay, method, path, service)

    def stop(self) -> None:
        """Terraform was interrupted: no more retries, nor requests still waiting for an in-flight
        slot (requests already on the wire still finish)."""
        self._stopping.set()
        for adapter in self.http.adapters.values():
            if isinstance(adapter, SlotAdapter):
                adapter.stop()

    def _stoppable_sleep(self, delay: float) -> None:
        self._stopping.wait(delay)

    def _pause(self, delay: float, method: str, path: str, service: str) -> None:
        """Wait before a retry, unless Terraform asked the provider to stop (then give up now)."""
        if not self._stopping.is_set():
            self.sleep(delay)
        if self._stopping.is_set():
            raise OperationTimeoutError(None, None, "Stopped", "Terraform was interrupted; the call is not retried",
                                        method=method, path=path, service=service)

    def _origin_endpoint(self, endpoint: Endpoint) -> Endpoint:
        """The endpoint a connection failure names: a connection is made to an origin, not a path, so
        a service on Flow Service's origin (the other services' URLs are derived from it unless set)
        is named as Flow Service: one cause, worded the same whichever service a stack calls first."""
        flow = self.config.flow_service_endpoint
        return flow if origin_of(endpoint.url) == origin_of(flow.url) else endpoint

    def _retrying(self, endpoint: Endpoint, reason: str, attempt: int, delay: float) -> None:
        if self.progress is not None:
            self.progress(RetryNote(endpoint.service, endpoint.url, reason, attempt,
                                    self.retry_policy.max_retries + 1, delay))

    def _can_wait(self, delay: float, deadline: float) -> bool:
        # Waiting only makes sense if some time is left to make the next attempt afterwards.
        return self.clock() + delay < deadline - 0.001
