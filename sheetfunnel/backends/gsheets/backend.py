"""GoogleSheetsBackend: a sync in a constant number of requests, atomic where the API allows,
rolled back where it does not."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import gspread
import pandas as pd
from google.auth.exceptions import GoogleAuthError

from sheetfunnel.backends.base import EPOCH_1900, SheetData, WritePlan, WriteResult
from sheetfunnel.backends.textlimit import SHEETS_MAX_TEXT, fit_text
from sheetfunnel.errors import BusyError, InputError, RemoteError

from . import retry as retrying
from .auth import account_email, spreadsheet_key
from .errors import NOTHING, explain
from .model import Raw, ReadState, col_letter, quote, same
from .planning import Block, Changes, plan_changes
from .reading import METADATA_FIELDS, VALUE_PARAMS, build_state, frame, grid_rows, header_names

T = TypeVar("T")

DEFAULT_TIMEOUT = 60.0
#: Google's advice: keep each request under about 2 MB.
MAX_PAYLOAD = 2_000_000
UNCERTAIN = (
    "Google may or may not have applied this change; run the sync again to finish it "
    "(a sync converges)."
)


class GoogleSheetsBackend:
    """The `Backend` for a Google Sheet, through a gspread client the caller builds."""

    def __init__(
        self,
        client: gspread.Client,
        key_or_url: str,
        *,
        retry: retrying.RetryPolicy | None = None,
        max_payload: int = MAX_PAYLOAD,
    ):
        self.client = client
        self.key = spreadsheet_key(key_or_url)
        self.retry = retry or retrying.RetryPolicy()
        self.max_payload = max_payload
        self.account = account_email(client)
        if client.http_client.timeout is None:
            client.set_timeout(DEFAULT_TIMEOUT)  # gspread waits forever by default

    # --- plumbing ---
    def _call(
        self, fn: Callable[[], T], during: str, *, idempotent: bool = True, outcome: str = NOTHING
    ) -> T:
        try:
            return retrying.call(self.retry, fn, idempotent=idempotent)
        except retrying.Exhausted as ex:
            no_answer = not isinstance(ex.error, gspread.exceptions.APIError)
            told = UNCERTAIN if no_answer and not idempotent else outcome
            raise explain(
                ex, key=self.key, account=self.account, during=during, outcome=told
            ) from ex.error
        except GoogleAuthError as ex:
            raise explain(
                ex, key=self.key, account=self.account, during=during, outcome=outcome
            ) from ex

    @property
    def _http(self) -> Any:
        return self.client.http_client

    # --- read ---
    def read(
        self,
        contacts_tab: str,
        header_row: int,
        activities_tab: str | None,
        activities_header_row: int,
        owned_tabs: tuple[str, ...],
    ) -> SheetData:
        """Two requests whatever the size: the metadata, then every tab's raw values."""
        meta = self._call(
            lambda: self._http.fetch_sheet_metadata(self.key, params={"fields": METADATA_FIELDS}),
            "reading the spreadsheet's layout",
        )
        titles = [s["properties"]["title"] for s in meta.get("sheets", [])]
        for tab in (contacts_tab, activities_tab):
            if tab is not None and tab not in titles:
                raise InputError(
                    f"Tab '{tab}' not found in spreadsheet {self.key}. Tabs: {', '.join(titles)}.",
                    file=self.key,
                    sheet=tab,
                )
        wanted = [contacts_tab]
        if activities_tab is not None and activities_tab != contacts_tab:
            wanted.append(activities_tab)
        wanted += [t for t in owned_tabs if t in titles and t not in wanted]
        res = self._call(
            lambda: self._http.values_batch_get(
                self.key, [quote(t) for t in wanted], params=dict(VALUE_PARAMS)
            ),
            "reading values",
        )
        grids = {t: grid_rows(vr) for t, vr in zip(wanted, res.get("valueRanges", []), strict=True)}
        state = build_state(self.key, meta, grids, contacts_tab, header_row, self.account)
        activities = None
        if activities_tab is not None:
            activities = frame(grids[activities_tab], activities_header_row)
        return SheetData(
            contacts=frame(grids[contacts_tab], header_row),
            activities=activities,
            owned={t: grids[t] for t in owned_tabs if t in grids},
            serial_epoch=EPOCH_1900,
            source=f"https://docs.google.com/spreadsheets/d/{self.key}",
            token=state,
        )

    def read_tab(self, tab: str, header_row: int = 1) -> pd.DataFrame:
        """Another tab's raw values (a lookup such as a Companies tab): one more request."""
        res = self._call(
            lambda: self._http.values_batch_get(self.key, [quote(tab)], params=dict(VALUE_PARAMS)),
            f"reading tab '{tab}'",
        )
        ranges = res.get("valueRanges", [])
        return frame(grid_rows(ranges[0]) if ranges else (), header_row)

    # --- write ---
    def write(self, plan: WritePlan, data: SheetData, *, dry_run: bool = False) -> WriteResult:
        """Reads only when nothing changed or on dry_run; else one key-column re-read, one
        spreadsheets:batchUpdate (structure first), one values:batchUpdate (chunked past
        ~2 MB). A failure after the structure landed is rolled back."""
        state = data.token
        if not isinstance(state, ReadState) or state.key != self.key:
            raise InputError(
                "write() needs the SheetData this backend's read() returned.", file=self.key
            )
        plan, cut = fit_text(plan, SHEETS_MAX_TEXT)  # 50,000 characters per cell
        changes = plan_changes(plan, state)
        changes.details.extend([cut] if cut else [])
        if changes.empty:
            return WriteResult(changed=False, details=("Google Sheet already up to date",))
        if dry_run:
            return WriteResult(
                changed=True,
                details=(
                    f"dry run: nothing written; would write {changes.cells} cells",
                    *changes.details,
                ),
            )
        self._check_rows(plan, state)
        if changes.requests:
            self._call(
                lambda: self._http.batch_update(self.key, {"requests": changes.requests}),
                "updating tabs, colours and charts",
                idempotent=False,
            )
        self._write_values(changes)
        return WriteResult(
            changed=True,
            cells_written=changes.cells,
            tabs_written=tuple(changes.tabs),
            details=tuple(changes.details),
        )

    def _check_rows(self, plan: WritePlan, state: ReadState) -> None:
        """Re-read the header row and key column: rows sorted or inserted since the read
        would put scores on the wrong contacts."""
        grid = state.grids.get(plan.sheet, ())
        h = plan.header_row
        header = grid[h - 1] if len(grid) >= h else ()
        key_col = next((c for c, name in header_names(header) if name == plan.key_header), None)
        if key_col is None:
            raise InputError(
                f"Key column '{plan.key_header}' not found in tab '{plan.sheet}'.",
                sheet=plan.sheet,
                column=plan.key_header,
            )
        q, letter = quote(plan.sheet), col_letter(key_col)
        res = self._call(
            lambda: self._http.values_batch_get(
                self.key,
                [f"{q}!{h}:{h}", f"{q}!{letter}{h + 1}:{letter}"],
                params=dict(VALUE_PARAMS),
            ),
            "checking that rows did not move",
        )
        head_vr, keys_vr = res.get("valueRanges", [{}, {}])
        fresh_header = _trim(list(grid_rows(head_vr)[0]) if grid_rows(head_vr) else [])
        fresh_keys = _trim([row[0] if row else None for row in grid_rows(keys_vr)])
        read_keys = _trim([None if k == "" else k for k in plan.keys])
        moved = (
            fresh_header != _trim(list(header))
            or len(fresh_keys) != len(read_keys)
            or any(not same(a, b) for a, b in zip(fresh_keys, read_keys, strict=True))
        )
        if moved:
            raise BusyError(
                f"Rows or columns of tab '{plan.sheet}' were sorted, inserted, deleted or moved "
                f"while sheetfunnel was working. Nothing was written. Run the sync again.",
                file=self.key,
            )

    def _chunks(self, blocks: list[Block]) -> list[list[int]]:
        """Indexes of `blocks` per values:batchUpdate, each under `max_payload` bytes."""
        chunks: list[list[int]] = [[]]
        size = 0
        for i, block in enumerate(blocks):
            cost = len(json.dumps(block.values)) + 64
            if chunks[-1] and size + cost > self.max_payload:
                chunks.append([])
                size = 0
            chunks[-1].append(i)
            size += cost
        return [c for c in chunks if c]

    def _send_values(self, blocks: list[Block], during: str) -> None:
        body = {
            "valueInputOption": "RAW",
            "data": [
                {"range": b.a1(), "majorDimension": "ROWS", "values": b.values} for b in blocks
            ],
        }
        self._call(lambda: self._http.values_batch_update(self.key, body), during)

    def _write_values(self, changes: Changes) -> None:
        blocks, undo = _split(changes.blocks, changes.undo_blocks, self.max_payload)
        done: list[int] = []
        for chunk in self._chunks(blocks):
            try:
                self._send_values([blocks[i] for i in chunk], "writing values")
            except RemoteError as err:
                raise self._rollback(err, [undo[i] for i in done], changes) from err
            done += chunk

    def _rollback(self, err: RemoteError, undo: list[Block], changes: Changes) -> RemoteError:
        """Put back what this write already changed; say whether that worked."""
        problems = []
        try:
            for chunk in self._chunks(undo):
                self._send_values([undo[i] for i in chunk], "restoring values")
            if changes.requests and changes.undo_requests:
                self._call(
                    lambda: self._http.batch_update(self.key, {"requests": changes.undo_requests}),
                    "undoing the layout changes",
                    idempotent=False,
                )
        except RemoteError as again:
            problems.append(str(again))
        first = str(err).replace(NOTHING, "").strip()
        if problems:
            return RemoteError(
                f"{first} The sync was interrupted and could not be fully undone "
                f"({problems[0]}). Run the sync again to complete it.",
                status=err.status,
                key=self.key,
            )
        return RemoteError(
            f"{first} The changes already made were rolled back: the spreadsheet is as before.",
            status=err.status,
            key=self.key,
        )


def _trim(values: list[Raw]) -> list[Raw]:
    values = [None if v == "" else v for v in values]
    while values and values[-1] is None:
        values.pop()
    return values


def _split(blocks: list[Block], undo: list[Block], limit: int) -> tuple[list[Block], list[Block]]:
    """Cut blocks bigger than `limit` bytes into row slices (their undo blocks alike)."""
    out, out_undo = [], []
    for block, back in zip(blocks, undo, strict=True):
        size = len(json.dumps(block.values))
        if size <= limit or len(block.values) < 2:
            out.append(block)
            out_undo.append(back)
            continue
        step = max(1, len(block.values) * limit // (size * 2))
        for s in range(0, len(block.values), step):
            out.append(Block(block.title, block.row + s, block.column, block.values[s : s + step]))
            out_undo.append(Block(back.title, back.row + s, back.column, back.values[s : s + step]))
    return out, out_undo
