"""Adobe IMS access tokens (OAuth server-to-server, ``client_credentials``) with a shared cache.

Terraform starts the provider 3-4 times per command; asking IMS for a fresh 24 h token each time
would be slow and noisy, so tokens are cached on disk and shared by those processes:

* one file per (IMS URL, client id, scopes, secret fingerprint); the fingerprint is an HMAC of
  the secret, so the file name reveals nothing and a rotated secret never reuses an old token;
* files are 0600 in a 0700 directory owned by the user, written atomically (temp file + rename);
* an ``fcntl.flock`` lock per cache file serialises the fetch, so processes starting together
  make one token request; the others read what the first one wrote, or the failure it met when
  IMS could not be reached (they fail at once instead of each retrying the dead endpoint in turn);
* anything odd about the cache (corrupt, wrong owner, too permissive, unwritable) just means
  "no cache": fetch from IMS as if it were not there.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import FlowServiceConfig
from .errors import FlowServiceError, ImsError, UnreachableError, error_from_response, redact

__all__ = [
    "CACHE_DIR_ENV",
    "REFRESH_MARGIN",
    "PostForm",
    "Token",
    "TokenCache",
    "TokenProvider",
    "default_cache_dir",
    "fetch_token",
    "secret_fingerprint",
]

log = logging.getLogger("aep_client")

CACHE_DIR_ENV = "AEP_TOKEN_CACHE_DIR"
#: A cached token is refreshed when less than this many seconds of validity remain.
REFRESH_MARGIN = 300.0
TOKEN_PATH = "/ims/token/v3"  # noqa: S105 - a URL path, not a credential
_CACHE_FORMAT = 1
_MAX_CACHE_BYTES = 64 * 1024
_LOCK_POLL = 0.05

#: ``post_form(url, form, deadline) -> (status, body, headers)``: one HTTP POST with the
#: session's retry policy; ``deadline`` is a ``time.monotonic()`` value or ``None``.
PostForm = Callable[[str, Mapping[str, str], "float | None"], "tuple[int, bytes, Mapping[str, str]]"]


@dataclass(frozen=True)
class Token:
    """An IMS access token and its validity window (wall-clock epoch seconds)."""

    access_token: str = field(repr=False)
    expires_at: float
    fetched_at: float
    token_type: str = "bearer"  # noqa: S105 - the token kind, not a credential

    def is_fresh(self, now: float) -> bool:
        """Usable for a while yet: refresh 5 min early, or at half-life for short-lived tokens."""
        lifetime = max(0.0, self.expires_at - self.fetched_at)
        margin = min(REFRESH_MARGIN, lifetime / 2)
        return now < self.expires_at - margin


def secret_fingerprint(config: FlowServiceConfig) -> str:
    """Keyed hash of the client secret: tells secrets apart without storing or revealing them."""
    key = f"aep-provider/token-cache/v1\0{config.ims_url}\0{config.client_id}".encode()
    return hmac.new(key, config.client_secret.encode(), hashlib.sha256).hexdigest()


def cache_key(config: FlowServiceConfig) -> str:
    """Name of the cache entry for this identity; scopes are compared as a set."""
    material = json.dumps(
        [config.ims_url, config.client_id, sorted(config.scopes), secret_fingerprint(config)],
        separators=(",", ":"),
    )
    return hashlib.sha256(material.encode()).hexdigest()


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$AEP_TOKEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/aep-provider``, else ``~/.cache/...``."""
    env = os.environ if environ is None else environ
    explicit = env.get(CACHE_DIR_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    xdg = env.get("XDG_CACHE_HOME", "").strip()
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "aep-provider"
    return Path.home() / ".cache" / "aep-provider"


def fetch_token(
    config: FlowServiceConfig,
    post_form: PostForm,
    *,
    deadline: float | None = None,
    now: Callable[[], float] = time.time,
) -> Token:
    """Ask IMS for a token (form-encoded ``client_credentials`` grant); raise ``ImsError`` on refusal."""
    form = {
        "grant_type": "client_credentials",
        "client_id": config.client_id,
        "client_secret": config.client_secret,
        "scope": ",".join(config.scopes),
    }
    started = now()
    status, body, headers = post_form(config.ims_url + TOKEN_PATH, form, deadline)
    secrets = [config.client_secret]
    if status >= 400:
        raise error_from_response(
            status, body, headers, method="POST", path=TOKEN_PATH, secrets=secrets, ims=True,
            endpoint=config.ims_endpoint,
        )
    try:
        payload = json.loads(body.decode("utf-8"))
        access_token = payload["access_token"]
        expires_in = float(payload.get("expires_in", 0))
        if not isinstance(access_token, str) or not access_token or expires_in <= 0:
            raise ValueError
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise ImsError(
            status, None, None, "IMS returned no usable access token", method="POST", path=TOKEN_PATH
        ) from None
    # IMS has historically sent expires_in in milliseconds on some endpoints; 24 h in ms is
    # 86_400_000, far beyond any real lifetime in seconds, so treat huge values as ms.
    if expires_in > 10 * 24 * 3600:
        expires_in /= 1000.0
    token_type = payload.get("token_type") if isinstance(payload.get("token_type"), str) else "bearer"
    return Token(access_token=access_token, expires_at=started + expires_in, fetched_at=started, token_type=token_type)


class TokenCache:
    """One token file plus its lock file in a private directory; every failure degrades to a miss."""

    def __init__(self, directory: Path, key: str) -> None:
        self.directory = directory
        self.key = key
        self.path = directory / f"{key[:40]}.json"
        self.lock_path = directory / f"{key[:40]}.lock"
        self.unreachable_path = directory / f"{key[:40]}.unreachable.json"
        self._usable: bool | None = None

    def usable(self) -> bool:
        """Create the directory 0700 if needed; refuse one that others could read or swap."""
        if self._usable is None:
            self._usable = self._prepare_dir()
        return self._usable

    def _prepare_dir(self) -> bool:
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            st = os.stat(self.directory)
            if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
                log.warning("token cache directory is not owned by this user; not caching tokens")
                return False
            if st.st_mode & 0o077:
                os.chmod(self.directory, 0o700)
            return True
        except OSError as err:
            log.warning("token cache directory unusable (%s); not caching tokens", type(err).__name__)
            return False

    def read(self) -> Token | None:
        """The cached token, or ``None`` when absent, unreadable, foreign or corrupt."""
        doc = self._read(self.path)
        try:
            if doc is None:
                return None
            token = Token(
                access_token=doc["access_token"],
                expires_at=float(doc["expires_at"]),
                fetched_at=float(doc["fetched_at"]),
                token_type=str(doc.get("token_type") or "bearer"),
            )
            if not isinstance(token.access_token, str) or not token.access_token:
                return None
            return token
        except (ValueError, KeyError, TypeError, AttributeError):
            log.debug("token cache entry is corrupt; ignoring it")
            return None

    def write(self, token: Token) -> None:
        """Atomically replace the entry (0600 temp file, fsync, rename); failures are only logged."""
        self._write(self.path, {"access_token": token.access_token, "token_type": token.token_type,
                                "expires_at": token.expires_at, "fetched_at": token.fetched_at})

    def record_unreachable(self, failure: UnreachableError, at: float) -> None:
        """Tell the processes waiting for this entry's lock that IMS could not be reached at ``at``."""
        self._write(self.unreachable_path, {"reason": failure.reason, "bound": failure.bound, "at": at})

    def unreachable_since(self, since: float) -> tuple[str, float] | None:
        """``(reason, bound)`` of an IMS failure another process recorded after ``since``
        (while this one waited for the lock): the same failure, not to be met again."""
        doc = self._read(self.unreachable_path)
        try:
            if doc is None or float(doc["at"]) <= since:
                return None
            return str(doc["reason"]), float(doc["bound"])
        except (ValueError, KeyError, TypeError):
            return None

    def _read(self, path: Path) -> dict[str, Any] | None:
        """One of this entry's files, or ``None`` when absent, unreadable, foreign or corrupt."""
        if not self.usable():
            return None
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            return None
        except OSError as err:
            log.debug("token cache unreadable (%s)", type(err).__name__)
            return None
        try:
            st = os.fstat(fd)
            if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
                return None
            if st.st_mode & 0o077 or st.st_size > _MAX_CACHE_BYTES:
                return None
            with os.fdopen(fd, "rb", closefd=False) as fh:
                raw = fh.read(_MAX_CACHE_BYTES + 1)
        except OSError:
            return None
        finally:
            os.close(fd)
        try:
            doc = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            log.debug("token cache entry is corrupt; ignoring it")
            return None
        if not isinstance(doc, dict) or doc.get("format") != _CACHE_FORMAT or doc.get("key") != self.key:
            return None
        return doc

    def _write(self, path: Path, content: dict[str, Any]) -> None:
        """Atomically replace one of this entry's files (0600 temp file, fsync, rename); failures
        are only logged."""
        if not self.usable():
            return
        data = json.dumps({"format": _CACHE_FORMAT, "key": self.key, **content}).encode()
        tmp = self.directory / f".{path.name}.{os.getpid()}.{os.urandom(6).hex()}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except OSError as err:
            log.warning("could not write token cache (%s)", type(err).__name__)
            try:
                os.unlink(tmp)
            except OSError:
                pass

    def remove(self) -> None:
        try:
            os.unlink(self.path)
        except OSError:
            pass

    @contextmanager
    def locked(self, wait: float, sleep: Callable[[float], None] = time.sleep) -> Iterator[bool]:
        """Hold the entry's lock file; yields ``False`` if it could not be had within ``wait`` s."""
        try:
            import fcntl
        except ImportError:  # not POSIX: no cross-process coordination, still correct
            yield False
            return
        if not self.usable():
            yield False
            return
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except OSError:
            yield False
            return
        try:
            end = time.monotonic() + max(0.0, wait)
            got = False
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    got = True
                    break
                except BlockingIOError:
                    if time.monotonic() >= end:
                        break
                    sleep(_LOCK_POLL)
                except OSError:
                    break
            try:
                yield got
            finally:
                if got:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


class TokenProvider:
    """Hands out a valid bearer token: memory, then the shared cache, then one IMS request.

    Thread-safe: the threads of one provider process share one fetch.
    """

    def __init__(
        self,
        config: FlowServiceConfig,
        post_form: PostForm,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        use_cache: bool = True,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._post_form = post_form
        self._clock = clock
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._token: Token | None = None
        self._rejected: set[str] = set()
        #: IMS could not be reached (here or, while this process waited, in another): fail at once.
        self._unreachable: UnreachableError | None = None
        self.fetch_count = 0
        self.cache: TokenCache | None = None
        if use_cache:
            directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
            self.cache = TokenCache(directory, cache_key(config))

    def secrets(self) -> list[str]:
        """Values that must never appear in messages: the client secret and the current token."""
        values = [self.config.client_secret]
        if self._token is not None:
            values.append(self._token.access_token)
        values.extend(tuple(self._rejected))
        return values

    def _acceptable(self, token: Token | None) -> bool:
        return token is not None and token.access_token not in self._rejected and token.is_fresh(self._clock())

    def get_token(self, deadline: float | None = None) -> str:
        """A bearer token valid for at least a few more minutes."""
        with self._lock:
            if self._unreachable is not None:
                raise self._unreachable.again("POST", TOKEN_PATH)
            if self._acceptable(self._token):
                assert self._token is not None
                return self._token.access_token
            cached = self.cache.read() if self.cache else None
            if self._acceptable(cached):
                assert cached is not None
                self._token = cached
                log.debug("using cached IMS token")
                return cached.access_token
            if self.cache is None:
                return self._fetch(deadline).access_token
            waiting_since = self._clock()
            with self.cache.locked(self._lock_wait(deadline)):
                # Another process may have fetched while we waited for the lock, or failed to.
                cached = self.cache.read()
                if self._acceptable(cached):
                    assert cached is not None
                    self._token = cached
                    log.debug("using IMS token fetched by another process")
                    return cached.access_token
                failed = self.cache.unreachable_since(waiting_since)
                if failed is not None:
                    self._unreachable = UnreachableError(self.config.ims_endpoint, *failed, method="POST",
                                                         path=TOKEN_PATH)
                    raise self._unreachable
                try:
                    token = self._fetch(deadline)
                except UnreachableError as unreachable:
                    self.cache.record_unreachable(unreachable, self._clock())
                    raise
                self.cache.write(token)
                return token.access_token

    def invalidate(self, access_token: str) -> None:
        """Forget a token Flow Service rejected (401), in memory and in the shared cache."""
        with self._lock:
            self._rejected.add(access_token)
            if self._token is not None and self._token.access_token == access_token:
                self._token = None
            if self.cache is None:
                return
            # Only remove the entry if it still holds the rejected token: another process may
            # already have replaced it with a good one.
            with self.cache.locked(min(5.0, self.config.request_timeout)):
                current = self.cache.read()
                if current is not None and current.access_token == access_token:
                    self.cache.remove()

    def _lock_wait(self, deadline: float | None) -> float:
        timeout = self.config.request_timeout
        if deadline is None:
            return 2 * timeout + 5
        return max(1.0, min(deadline - self._monotonic() - timeout, 2 * timeout + 5))

    def _fetch(self, deadline: float | None) -> Token:
        self.fetch_count += 1
        try:
            token = fetch_token(self.config, self._post_form, deadline=deadline, now=self._clock)
        except UnreachableError as unreachable:
            self._unreachable = unreachable
            raise
        except FlowServiceError:
            raise
        except Exception as err:  # noqa: BLE001 - any foreign transport error: keep secrets out of its text
            message = redact(f"{type(err).__name__}: {err}", self.secrets())
            raise ImsError(None, None, None, message, method="POST", path=TOKEN_PATH) from None
        self._token = token
        log.info("obtained IMS access token (valid %.0f s)", token.expires_at - token.fetched_at)
        return token
