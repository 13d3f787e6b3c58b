"""Durability: kill -9 and restart keep connections, tokens and etag uniqueness."""

from __future__ import annotations

import requests
from lfs_helpers import s3_body

from local_flowservice.testing import LocalFlowService


def test_kill_9_and_restart_keeps_everything() -> None:
    with LocalFlowService() as svc:
        headers = svc.auth_headers()
        flow = svc.flow_url
        created = requests.post(flow + "/connections", json=s3_body("durable"), headers=headers,
                                timeout=10).json()
        patched = requests.patch(flow + f"/connections/{created['id']}", timeout=10,
                                 json=[{"op": "replace", "path": "/name", "value": "durable 2"}],
                                 headers={**headers, "If-Match": created["etag"]}).json()
        port = svc.port
        svc.restart(hard=True)  # SIGKILL: only what was committed survives
        assert svc.port == port
        # the same token still works: tokens are stored too
        rec = requests.get(flow + f"/connections/{created['id']}", headers=headers, timeout=10)
        assert rec.status_code == 200, rec.text
        item = rec.json()["items"][0]
        assert item["name"] == "durable 2"
        assert item["etag"] == patched["etag"]
        # the old etag is still stale, the current one still works, and etags do not repeat
        stale = requests.patch(flow + f"/connections/{created['id']}", timeout=10,
                               json=[{"op": "replace", "path": "/name", "value": "x"}],
                               headers={**headers, "If-Match": created["etag"]})
        assert stale.status_code == 412
        after = requests.patch(flow + f"/connections/{created['id']}", timeout=10,
                               json=[{"op": "replace", "path": "/name", "value": "durable 3"}],
                               headers={**headers, "If-Match": patched["etag"]})
        assert after.status_code == 200
        assert after.json()["etag"] not in {created["etag"], patched["etag"]}
        svc.restart(hard=False)
        assert requests.get(flow + f"/connections/{created['id']}", headers=headers,
                            timeout=10).json()["items"][0]["name"] == "durable 3"
