#!/usr/bin/env python3
"""A reference offline client of the Baifang REST API v1 (standard library + requests).

What a tablet app does, in about 200 lines:

- logs in once with a device name (`POST /api/v1/auth/token/`) and keeps the token;
- syncs: the first time everything in scope, then only what changed (`GET /api/v1/sync/`,
  following `has_more`, keeping the opaque `cursor`); upserts replace a local record, deletes
  remove it (a record deleted on the server, or no longer in the rep's scope);
- logs calls offline with its own UUIDs into an outbox and uploads them later
  (`POST /api/v1/calls/` with `id`): sending the same call again after a lost answer is safe
  (the server answers 200 with the call it has), so every failure is simply retried.

Everything is persisted in one JSON file (written atomically), so the app may be killed at any
moment. Usage::

    python examples/sync_client.py --url http://localhost:8000 --store rep.json \\
        login --username rep1 --password ... --device "iPad 7"
    python examples/sync_client.py --url http://localhost:8000 --store rep.json sync
    python examples/sync_client.py --url http://localhost:8000 --store rep.json \\
        log-call --customer <uuid> --objective "Introduce the PFS data"
    python examples/sync_client.py --url http://localhost:8000 --store rep.json upload
"""

import argparse
import json
import os
import sys
import tempfile
import time
import uuid

import requests

RETRY_STATUSES = {429, 500, 502, 503, 504}


class SyncError(Exception):
    pass


class SyncClient:
    def __init__(self, base_url, store_path, *, session=None, retries=5, backoff=0.5):
        self.base_url = base_url.rstrip("/")
        self.store_path = store_path
        self.session = session or requests.Session()
        self.retries = retries
        self.backoff = backoff
        self.state = self._load()

    # --- the local store ------------------------------------------------------------------

    def _load(self):
        if os.path.exists(self.store_path):
            with open(self.store_path, encoding="utf-8") as file:
                return json.load(file)
        return {"token": None, "cursor": None, "records": {}, "outbox": [], "rejected": []}

    def save(self):
        """Write the store atomically (a crash leaves the old file or the new one)."""
        directory = os.path.dirname(os.path.abspath(self.store_path))
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(self.state, file, ensure_ascii=False, indent=1)
        os.replace(tmp, self.store_path)

    def records(self, type_):
        return self.state["records"].get(type_, {})

    # --- HTTP with retries ----------------------------------------------------------------

    def _request(self, method, path, **kwargs):
        headers = kwargs.pop("headers", {})
        if self.state["token"]:
            headers["Authorization"] = f"Token {self.state['token']}"
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        for attempt in range(self.retries + 1):
            try:
                response = self.session.request(method, url, headers=headers, timeout=30, **kwargs)
            except requests.RequestException:
                if attempt == self.retries:
                    raise
                time.sleep(self.backoff * 2**attempt)
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.retries:
                wait = response.headers.get("Retry-After")
                time.sleep(float(wait) if wait and wait.isdigit() else self.backoff * 2**attempt)
                continue
            return response
        raise SyncError("unreachable")

    # --- the API --------------------------------------------------------------------------

    def login(self, username, password, device):
        response = self._request(
            "POST",
            "/api/v1/auth/token/",
            json={"username": username, "password": password, "device": device},
        )
        if response.status_code != 200:
            raise SyncError(f"login failed: {response.status_code} {response.text}")
        self.state.update(token=response.json()["token"], cursor=None, records={})
        self.save()

    def sync(self, types=None, page_size=None):
        """Pull every change since the last sync (everything the first time)."""
        applied = 0
        while True:
            params = {}
            if self.state["cursor"]:
                params["since"] = self.state["cursor"]
            if types:
                params["types"] = ",".join(types)
            if page_size:
                params["page_size"] = page_size
            response = self._request("GET", "/api/v1/sync/", params=params)
            if response.status_code == 400 and "since" in response.json().get("errors", {}):
                # The cursor is no longer valid (e.g. other types): start again from scratch.
                self.state.update(cursor=None, records={})
                continue
            if response.status_code != 200:
                raise SyncError(f"sync failed: {response.status_code} {response.text}")
            page = response.json()
            for change in page["changes"]:
                records = self.state["records"].setdefault(change["type"], {})
                if change["op"] == "upsert":
                    records[change["data"]["id"]] = change["data"]
                else:
                    records.pop(change["id"], None)
                applied += 1
            self.state["cursor"] = page["cursor"]
            self.save()  # after every page: a crash resumes from here
            if not page["has_more"]:
                return applied

    def log_call(self, **fields):
        """Record a call offline; it gets its id now and keeps it on the server."""
        call = {"id": str(uuid.uuid4()), **fields}
        self.state["outbox"].append(call)
        self.save()
        return call["id"]

    def upload(self):
        """Send the outbox. 200/201: done; 400/409: set aside with the server's answer (the
        user must fix it); network errors and 5xx: retried, and kept for later if they last."""
        sent = 0
        for call in list(self.state["outbox"]):
            try:
                response = self._request("POST", "/api/v1/calls/", json=call)
            except requests.RequestException:
                break  # offline again: keep the rest for later
            if response.status_code in (200, 201):
                sent += 1
                records = self.state["records"].setdefault("calls", {})
                records[call["id"]] = response.json()
            elif response.status_code in (400, 403, 409):
                self.state["rejected"].append({"call": call, "answer": response.json()})
            else:
                break
            self.state["outbox"].remove(call)
            self.save()
        return sent


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--store", required=True)
    commands = parser.add_subparsers(dest="command", required=True)
    login = commands.add_parser("login")
    login.add_argument("--username", required=True)
    login.add_argument("--password", required=True)
    login.add_argument("--device", default="sync_client.py")
    commands.add_parser("sync")
    log = commands.add_parser("log-call")
    log.add_argument("--customer", action="append", required=True)
    log.add_argument("--objective", default="")
    log.add_argument("--date")
    commands.add_parser("upload")
    args = parser.parse_args(argv)

    client = SyncClient(args.url, args.store)
    if args.command == "login":
        client.login(args.username, args.password, args.device)
    elif args.command == "sync":
        print(f"{client.sync()} changes applied")
    elif args.command == "log-call":
        fields = {"customers": args.customer, "objective": args.objective}
        if args.date:
            fields["date"] = args.date
        print(client.log_call(**fields))
    elif args.command == "upload":
        print(f"{client.upload()} calls uploaded, {len(client.state['outbox'])} waiting")
    return 0


if __name__ == "__main__":
    sys.exit(main())
