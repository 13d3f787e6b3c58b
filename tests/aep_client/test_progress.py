"""Retries shown as they happen: a note per retry from the session, one line per endpoint and attempt
from the command's listener, nothing at all when nobody listens."""

from __future__ import annotations

import io
import time
from pathlib import Path

from aep_client.progress import ProgressListener, RetryNote, reporter_from_env
from tests.aep_client.scripted import Reply, connection_refused, make_harness

OK = Reply(200, {"items": [{"id": "c1", "etag": '"e"'}]})


def test_the_session_tells_each_retry(cache_dir: Path) -> None:
    h = make_harness(cache_dir, connection_refused(), connection_refused(), OK, max_retries=5)
    notes: list[RetryNote] = []
    h.session.progress = notes.append
    h.client.get_connection("c1")
    assert [(n.service, n.url, n.reason, n.attempt, n.attempts) for n in notes] == [
        ("Flow Service", "https://flow.test/data/foundation/flowservice", "connection refused", 2, 6),
        ("Flow Service", "https://flow.test/data/foundation/flowservice", "connection refused", 3, 6)]
    assert notes[0].line().startswith("retrying Flow Service at https://flow.test/data/foundation/flowservice "
                                      "(connection refused): attempt 2 of 6, next in ")


def test_calls_retrying_together_make_one_line_per_attempt() -> None:
    out = io.StringIO()
    now = [0.0]
    listener = ProgressListener(out, quiet=10, clock=lambda: now[0])
    with listener:
        for attempt in (2, 2, 2, 3, 3):
            listener.show(RetryNote("Adobe IMS", "http://127.0.0.1:9", "connection refused", attempt, 6, 0.5))
        now[0] = 11.0  # a later run of failures is news again
        listener.show(RetryNote("Adobe IMS", "http://127.0.0.1:9", "connection refused", 2, 6, 0.5))
    assert out.getvalue().count("\n") == 3 and "attempt 3 of 6, next in 0.5 s" in out.getvalue()


def test_notes_reach_the_listener_of_the_command_and_never_fail_without_one() -> None:
    out = io.StringIO()
    with ProgressListener(out) as listener:
        report = reporter_from_env(listener.environ)
        assert report is not None
        report(RetryNote("Flow Service", "http://127.0.0.1:9/x", "connection refused", 2, 6, 1.0))
        deadline = time.monotonic() + 5
        while not out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
    assert out.getvalue() == "retrying Flow Service at http://127.0.0.1:9/x (connection refused): attempt 2 of 6, " \
                             "next in 1.0 s\n"
    assert reporter_from_env({}) is None
    gone = reporter_from_env(listener.environ)  # the command ended: the note is lost, the call goes on
    assert gone is not None
    gone(RetryNote("Flow Service", "http://127.0.0.1:9/x", "connection refused", 2, 6, 1.0))
