"""The emulator's HTTP side: routing, auth, the OAuth token endpoint, faults, request log."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import sheets_get, values_api
from .auth import TokenIssuer
from .batch import Batch, Ids
from .batch_objects import matches
from .state import ApiError, Sheet, Spreadsheet, now_rfc3339, random_key

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
_SHEETS = re.compile(r"^/v4/spreadsheets/([^/:]+)(.*)$")
_DRIVE = re.compile(r"^/drive/v3/files(?:/([^/]+))?$")


@dataclass(frozen=True)
class Logged:
    """One request as the emulator saw it."""

    method: str
    path: str
    query: str
    bytes_in: int
    bytes_out: int
    status: int
    seconds: float
    at: float = 0.0  # time.perf_counter() when the request arrived


@dataclass
class Fault:
    """Answer the next `count` matching requests with `status` (or hang for `delay` s)."""

    status: int | None = None
    delay: float | None = None
    count: int = 1
    method: str | None = None
    path_contains: str | None = None
    message: str | None = None
    after: int = 0  # let this many matching requests through first
    text: str | None = None  # a non-JSON body (an HTML error page from a proxy)
    #: run before the request is served (another client's edit landing just before it)
    action: Callable[[], None] | None = None
    retry_after: str | None = None  # a Retry-After header (seconds or an HTTP date)

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path_contains is None or self.path_contains in path
        )


_FAULT_TEXT = {
    429: "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute "
    "per user' of service 'sheets.googleapis.com' for consumer 'project_number:0'.",
    500: "Internal error encountered.",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
    403: "The caller does not have permission",
}


@dataclass
class Emulator:
    """A local, stateful Sheets v4 + Drive v3 (files) API. Start with `start()`."""

    host: str = "127.0.0.1"
    tokens: dict[str, str] = field(default_factory=lambda: {"test-token": "tester@example.com"})
    spreadsheets: dict[str, Spreadsheet] = field(default_factory=dict)
    ids: Ids = field(default_factory=Ids)
    log: list[Logged] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self.issuer = TokenIssuer(self.tokens)
        self.stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle ---
    def start(self) -> Emulator:
        emulator = self

        class Handler(_Handler):
            emu = emulator

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- test-side helpers ---
    def create(self, title: str = "Untitled spreadsheet", key: str | None = None) -> str:
        """Create a spreadsheet with the default Sheet1 (1000x26); returns its key."""
        with self.lock:
            key = key or self.ids.next("spreadsheet", random_key)
            stamp = now_rfc3339()
            self.spreadsheets[key] = Spreadsheet(key, title, [Sheet(0, "Sheet1")], [], stamp, stamp)
            return key

    def add_private(self, key: str, title: str = "Someone else's") -> None:
        """A spreadsheet that exists but is not shared with any caller (403)."""
        self.create(title, key)
        self.spreadsheets[key].owner_only = True

    def fail_next(self, status: int, count: int = 1, **match: Any) -> None:
        with self.lock:
            self.faults.append(Fault(status=status, count=count, **match))

    def hang_next(self, seconds: float, count: int = 1, **match: Any) -> None:
        with self.lock:
            self.faults.append(Fault(delay=seconds, count=count, **match))

    def before_next(self, action: Callable[[], None], count: int = 1, **match: Any) -> None:
        """Run `action` just before the next `count` matching requests are served."""
        with self.lock:
            self.faults.append(Fault(action=action, count=count, **match))

    def apply(self, key: str, requests: list[dict[str, Any]]) -> None:
        """Apply a batchUpdate body as another client would (not logged; atomic)."""
        with self.lock:
            twin = self.spreadsheets[key].clone()
            Batch(twin, self.ids).run(requests)
            self._commit(twin)

    def reset_log(self) -> None:
        with self.lock:
            self.log.clear()

    def api_calls(self) -> list[Logged]:
        """Logged Sheets/Drive calls (token exchanges excluded)."""
        with self.lock:
            return [r for r in self.log if r.path != "/token"]

    def server_seconds(self) -> float:
        with self.lock:
            return sum(r.seconds for r in self.log)

    # --- dispatch (called by the handler, under the lock) ---
    def _fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                if fault.after > 0:
                    fault.after -= 1
                    continue
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def _open(self, key: str) -> Spreadsheet:
        ss = self.spreadsheets.get(key)
        if ss is None:
            raise ApiError(404, "Requested entity was not found.")
        if ss.owner_only:
            raise ApiError(403, "The caller does not have permission")
        return ss

    def _commit(self, ss: Spreadsheet) -> None:
        ss.modified = now_rfc3339()
        ss.version += 1
        self.spreadsheets[ss.key] = ss

    def dispatch(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
        p = {k: v[-1] for k, v in query.items()}
        m = _DRIVE.match(path)
        if m:
            return self._drive(method, m.group(1), p, body)
        m = _SHEETS.match(path)
        if not m:
            if method == "POST" and path == "/v4/spreadsheets":
                key = self.create(((body or {}).get("properties") or {}).get("title", "Untitled"))
                return sheets_get.get(self.spreadsheets[key], [], False, None)
            raise ApiError(404, "Requested entity was not found.")
        key, rest = unquote(m.group(1)), m.group(2)
        ss = self._open(key)
        if rest == "" and method == "GET":
            include = p.get("includeGridData", "false").lower() == "true"
            return sheets_get.get(ss, query.get("ranges", []), include, p.get("fields"))
        if rest == ":batchUpdate" and method == "POST":
            twin = ss.clone()
            replies = Batch(twin, self.ids).run((body or {}).get("requests") or [])
            self._commit(twin)
            out: dict[str, Any] = {"spreadsheetId": key, "replies": replies}
            if (body or {}).get("includeSpreadsheetInResponse"):
                out["updatedSpreadsheet"] = sheets_get.get(twin, [], False, None)
            return out
        if rest == "/values:batchGet" and method == "GET":
            return values_api.batch_get(ss, query.get("ranges", []), p)
        if rest == "/values:batchUpdate" and method == "POST":
            twin = ss.clone()
            out = values_api.batch_update(twin, body or {})
            self._commit(twin)
            return out
        if rest == "/values:batchUpdateByDataFilter" and method == "POST":
            twin = ss.clone()
            out = values_api.batch_update_by_filter(twin, body or {})
            self._commit(twin)
            return out
        if rest == "/values:batchClear" and method == "POST":
            twin = ss.clone()
            cleared = [values_api.clear(twin, r)["clearedRange"] for r in body.get("ranges", [])]
            self._commit(twin)
            return {"spreadsheetId": key, "clearedRanges": cleared}
        if rest == "/developerMetadata:search" and method == "POST":
            found = []
            for flt in (body or {}).get("dataFilters", []):
                lookup = flt.get("developerMetadataLookup", {})
                found += [
                    {"developerMetadata": m, "dataFilters": [flt]}
                    for m in ss.metadata
                    if matches(m, lookup)
                ]
            return {"matchedDeveloperMetadata": found} if found else {}
        if rest.startswith("/values/"):
            raw = rest[len("/values/") :]
            action = ""
            for suffix in (":append", ":clear"):
                if raw.endswith(suffix):
                    raw, action = raw[: -len(suffix)], suffix
            text = unquote(raw)
            if method == "GET" and not action:
                return values_api.value_range(ss, text, p)
            twin = ss.clone()
            if method == "PUT" and not action:
                out = values_api.update(twin, text, body or {}, p)
            elif method == "POST" and action == ":append":
                out = values_api.append(twin, text, body or {}, p)
            elif method == "POST" and action == ":clear":
                out = values_api.clear(twin, text)
            else:
                raise ApiError(404, "Requested entity was not found.")
            self._commit(twin)
            return out
        raise ApiError(404, "Requested entity was not found.")

    def _drive(self, method: str, file_id: str | None, p: dict[str, str], body: Any) -> Any:
        if method == "POST" and file_id is None:
            body = body or {}
            if body.get("mimeType") != SPREADSHEET_MIME:
                raise ApiError(400, "The emulator only creates spreadsheets.")
            key = self.create(body.get("name", "Untitled spreadsheet"))
            return {
                "kind": "drive#file",
                "id": key,
                "name": body.get("name"),
                "mimeType": SPREADSHEET_MIME,
            }
        if file_id is None:
            raise ApiError(404, "Requested entity was not found.")
        ss = self.spreadsheets.get(file_id)
        if ss is None or ss.owner_only:
            raise ApiError(404, f"File not found: {file_id}.")
        if method == "DELETE":
            del self.spreadsheets[file_id]
            return None
        if method == "GET":
            full = {
                "kind": "drive#file",
                "id": ss.key,
                "name": ss.title,
                "mimeType": SPREADSHEET_MIME,
                "createdTime": ss.created,
                "modifiedTime": ss.modified,
                "version": str(ss.version),
            }
            wanted = [f.strip() for f in p.get("fields", "").split(",") if f.strip()]
            return {k: full[k] for k in wanted if k in full} if wanted else full
        raise ApiError(404, "Requested entity was not found.")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    emu: Emulator

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read the structured log instead

    def _log(self, status: int, size_out: int, started: float, size_in: int) -> None:
        # logged before the answer leaves: a client that has its answer sees the entry
        url = urlsplit(self.path)
        with self.emu.lock:
            self.emu.log.append(
                Logged(
                    self.command,
                    url.path,
                    url.query,
                    size_in,
                    size_out,
                    status,
                    time.perf_counter() - started,
                    started,
                )
            )

    def _send(
        self, status: int, payload: Any, started: float, size_in: int, headers: Any = ()
    ) -> None:
        data = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        self._log(status, len(data), started, size_in)
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if payload is not None:
            self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _send_text(self, status: int, text: str, started: float, size_in: int) -> None:
        data = text.encode()
        self._log(status, len(data), started, size_in)
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        started = time.perf_counter()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        if url.path == "/token" and self.command == "POST":
            status, payload = self.emu.issuer.exchange(raw.decode())
            self._send(status, payload, started, len(raw))
            return
        with self.emu.lock:
            fault = self.emu._fault(self.command, url.path)
        if fault and fault.action is not None:
            fault.action()
            fault = None
        if fault and fault.delay is not None:
            self.emu.stopping.wait(fault.delay)  # longer than the client's timeout: it gives up
            self.close_connection = True
            with self.emu.lock:
                self.emu.log.append(
                    Logged(
                        self.command,
                        url.path,
                        url.query,
                        len(raw),
                        0,
                        0,
                        time.perf_counter() - started,
                        started,
                    )
                )
            return
        if fault and fault.status is not None and fault.text is not None:
            self._send_text(fault.status, fault.text, started, len(raw))
            return
        if fault and fault.status is not None:
            error = ApiError(fault.status, fault.message or _FAULT_TEXT.get(fault.status, "Error"))
            extra = [("Retry-After", fault.retry_after)] if fault.retry_after else []
            self._send(fault.status, error.body(), started, len(raw), extra)
            return
        auth = self.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else None
        if token is None or token not in self.emu.tokens:
            error = ApiError(
                401,
                "Request is missing required authentication credential. "
                "Expected OAuth 2 access token, login cookie or other valid "
                "authentication credential.",
            )
            self._send(401, error.body(), started, len(raw))
            return
        try:
            body = json.loads(raw) if raw else None
            with self.emu.lock:
                payload = self.emu.dispatch(
                    self.command, url.path, parse_qs(url.query, keep_blank_values=True), body
                )
            status = 204 if payload is None else 200
        except ApiError as ex:
            status, payload = ex.code, ex.body()
        except json.JSONDecodeError:
            status, payload = 400, ApiError(400, "Invalid JSON payload received.").body()
        self._send(status, payload, started, len(raw))

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
