"""GoogleSheetsBackend: a sync in a constant number of requests, atomic where the API allows,
rolled back where it does not."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace
from typing import Any, TypeVar

import gspread
import pandas as pd
from google.auth.exceptions import GoogleAuthError

from sheetfunnel.backends.base import EPOCH_1900, TAB_ROLES, SheetData, WritePlan, WriteResult
from sheetfunnel.backends.textlimit import SHEETS_MAX_TEXT, fit_text
from sheetfunnel.errors import BusyError, InputError, RemoteError
from sheetfunnel.memory import paused_gc

from . import decode, payload, window
from . import retry as retrying
from .auth import account_email, spreadsheet_key
from .changes import FormatRead, prior_formats
from .columns import DELETE_MARKED
from .errors import NOTHING, explain
from .model import Raw, ReadState, col_letter, quote
from .planning import Block, Changes, plan_changes
from .reading import (
    METADATA_FIELDS,
    VALUE_PARAMS,
    build_state,
    duplicates,
    frame,
    grid_rows,
    ownership,
    rows_of,
)

T = TypeVar("T")

DEFAULT_TIMEOUT = 60.0
#: Google's advice: keep each request under about 2 MB.
MAX_PAYLOAD = 2_000_000
#: Realignments tried after a write before giving up and rolling back.
MAX_REPAIRS = 2
#: Formats (and drop-downs) of the cells our formats will replace (read before, for undo).
FORMAT_FIELDS = (
    "sheets(properties(sheetId),"
    "data(startRow,startColumn,rowData(values(userEnteredFormat,dataValidation))))"
)
SHEETS = "https://sheets.googleapis.com/v4/spreadsheets"
UNCHECKED = (
    "The values were written but could not be checked against rows moved meanwhile: run the "
    "sync again (it puts every contact's values back on its own row)."
)
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
        self._rows: int | None = None  # grid rows the last row check saw
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
        header_row: int = 1,
        activities_tab: str | None = None,
        activities_header_row: int = 1,
        *,
        key_header: str = "",
        log_headers: Collection[str] = (),
    ) -> SheetData:
        """Two requests whatever the size: the metadata (with our markers), then the values
        of the contacts, the activities and every tab marked ours."""
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
        marked = build_state(self.key, meta, {}, contacts_tab, header_row, self.account)
        roles = {r: s.title for r in TAB_ROLES if (s := marked.tab_for(r)) is not None}
        wanted = [contacts_tab]
        if activities_tab is not None and activities_tab != contacts_tab:
            wanted.append(activities_tab)
        wanted += [t for t in roles.values() if t not in wanted]
        # raw rows: the activity log's (read only, never written) go straight into its frame
        log_only = activities_tab not in (None, contacts_tab, *roles.values())
        with paused_gc():  # ~120,000 row lists, freed by refcount once in frames and grids
            res = self._call(lambda: self._batch_get([quote(t) for t in wanted]), "reading values")
            values = {
                t: vr.get("values", [])
                for t, vr in zip(wanted, res.get("valueRanges", []), strict=True)
            }
            grids = {
                t: rows_of(v) for t, v in values.items() if not (log_only and t == activities_tab)
            }
            state = replace(marked, grids=grids)
            owns, unnamed = ownership(state)
            dupes = {contacts_tab: duplicates(grids[contacts_tab], header_row)}
            activities = None
            if activities_tab is not None:
                log = values[activities_tab] if log_only else grids[activities_tab]
                activities = frame(log, activities_header_row)
                if activities_tab != contacts_tab:
                    dupes[activities_tab] = duplicates(log, activities_header_row)
            contacts = frame(grids[contacts_tab], header_row, unnamed)
            del res, values
        return SheetData(
            contacts=contacts,
            activities=activities,
            owned={role: grids[title] for role, title in roles.items()},
            serial_epoch=EPOCH_1900,
            source=f"https://docs.google.com/spreadsheets/d/{self.key}",
            token=state,
            ownership=owns,
            tabs=tuple(titles),
            duplicates={tab: d for tab, d in dupes.items() if d},
        )

    def read_tab(self, tab: str, header_row: int = 1) -> pd.DataFrame:
        """Another tab's raw values (a lookup such as a Companies tab): one more request."""
        with paused_gc():
            res = self._call(lambda: self._batch_get([quote(tab)]), f"reading tab '{tab}'")
            ranges = res.get("valueRanges", [])
            return frame(ranges[0].get("values", []) if ranges else (), header_row)

    def _batch_get(self, ranges: list[str]) -> Any:
        """values:batchGet of `ranges` (unformatted values, dates as serial numbers), decoded
        as gspread's values_batch_get would (same request, same errors)."""
        url = f"{SHEETS}/{self.key}/values:batchGet"
        params = {**VALUE_PARAMS, "ranges": ranges}
        return decode.loads(self._http.request("get", url, params=params).content)

    # --- write ---
    def write(self, plan: WritePlan, data: SheetData, *, dry_run: bool = False) -> WriteResult:
        """Reads only when nothing changed or on dry_run. Else: a re-read of the row order
        (rows moved since the read: nothing is written), one spreadsheets:batchUpdate (new
        columns inserted and marked, formats, rules, tabs), one values:batchUpdateByDataFilter
        (our columns addressed by their markers; chunked past ~2 MB), then a read that
        verifies the row order again: rows moved meanwhile are realigned (each contact's
        values follow its row); rows that keep moving or moved columns roll everything back."""
        state = data.token
        if not isinstance(state, ReadState) or state.key != self.key:
            raise InputError(
                "write() needs the SheetData this backend's read() returned.", file=self.key
            )
        plan, cut = fit_text(plan, SHEETS_MAX_TEXT)  # 50,000 characters per cell
        notes = (cut,) if cut else ()
        with paused_gc():  # pure: ~10^5 cells' blocks and request dicts, no cycles
            changes = plan_changes(plan, state)
        if changes.empty:
            return WriteResult(
                changed=False, details=("Google Sheet already up to date",), notes=notes
            )
        if dry_run:
            return WriteResult(
                changed=True,
                details=(
                    f"dry run: nothing written; would write {changes.cells} cells",
                    *changes.details,
                ),
                notes=notes,
            )
        with paused_gc():
            guard = window.guard(plan, state, changes) if plan.columns else None
        if guard is not None:
            self._check_rows(guard)
        if changes.format_reads:
            changes.undo_requests[:0] = self._prior_formats(changes.format_reads)
        if changes.requests:
            self._call(
                lambda: self._http.batch_update(self.key, {"requests": changes.requests}),
                "updating tabs, colours and charts",
                idempotent=False,
            )
        self._write_values(changes, guard)
        details = list(changes.details)
        if guard is not None:
            repairs = self._verify(guard)
            if repairs:
                details.append(
                    f"{plan.sheet}: rows moved while writing; managed values realigned "
                    f"({repairs} repair write{'s' if repairs > 1 else ''})"
                )
        return WriteResult(
            changed=True,
            notes=notes,
            cells_written=changes.cells,
            tabs_written=tuple(changes.tabs),
            details=tuple(details),
        )

    def _snapshot(
        self, guard: window.Guard, during: str, outcome: str = NOTHING
    ) -> tuple[list[Raw], list[window.Identity]]:
        """One read: the header row and each data row's identity, as the sheet is now (and
        the grid's row count, kept in `self._rows` for a realignment)."""
        with paused_gc():
            res = self._call(
                lambda: self._batch_get(window.snapshot_ranges(guard)), during, outcome=outcome
            )
            ranges = res.get("valueRanges", [])
            self._rows = window.grid_height(ranges[-1].get("range", "")) if ranges else None
            return window.parse_snapshot(guard, [grid_rows(vr) for vr in ranges])

    def _check_rows(self, guard: window.Guard) -> None:
        """Before writing: rows sorted or inserted since the read would put scores on the
        wrong contacts, so nothing is written."""
        header, ids = self._snapshot(guard, "checking that rows did not move")
        if header != guard.read_header or window.moved(ids, guard.read_ids):
            raise BusyError(
                f"Rows or columns of tab '{guard.plan.sheet}' were sorted, inserted, deleted or "
                f"moved while sheetfunnel was working. Nothing was written. Run the sync again.",
                file=self.key,
            )

    def _verify(self, guard: window.Guard) -> int:
        """After writing: the row order read again; rows that moved while we wrote get their
        own values back (each managed column rewritten whole), until a read finds them in
        place. Returns how many repair writes that took; rolls back if it cannot."""
        aligned = guard.read_ids
        values: dict[str, list[Raw]] | None = None  # the plan as sent: only for a realignment
        what = "kept moving"
        for repairs in range(MAX_REPAIRS + 1):
            header, fresh = self._snapshot(guard, "verifying that rows did not move", UNCHECKED)
            if header != guard.expected_header:
                what = "were inserted, deleted or moved"
                break  # our values followed our columns, but the row check cannot: undo
            if not window.moved(fresh, aligned):
                return repairs
            if repairs == MAX_REPAIRS:
                break
            pairing = window.match(fresh, guard.read_ids)
            if values is None:
                values = window.planned(guard.plan)
            blocks = window.realign(
                guard.plan, guard.changes, values, pairing, guard.extent, self._rows
            )
            try:
                for chunk in self._chunks(blocks):
                    self._send_values([blocks[i] for i in chunk], "realigning moved rows")
            except RemoteError as err:
                raise self._rollback(err, guard.changes, guard) from err
            aligned = fresh
        problems = self._undo(guard.changes, guard)
        undone = (
            f"What it had written could not be fully undone ({problems[0]}); run the sync again."
            if problems
            else "What it had written was undone: the spreadsheet is as before."
        )
        raise BusyError(
            f"Rows or columns of tab '{guard.plan.sheet}' {what} while sheetfunnel was "
            f"writing. {undone} Run the sync again.",
            file=self.key,
        )

    def _prior_formats(self, reads: list[FormatRead]) -> list[dict[str, Any]]:
        """One read of the formats ours will replace; the undo requests that put them back."""
        ranges = [
            f"{quote(r.title)}!{col_letter(r.column)}{r.first_row + 1}:"
            f"{col_letter(r.end_column - 1)}{r.last_row}"
            for r in reads
        ]
        res = self._call(
            lambda: self._http.fetch_sheet_metadata(
                self.key, params={"ranges": ranges, "fields": FORMAT_FIELDS}
            ),
            "reading number formats",
        )
        return prior_formats(reads, res)

    def _chunks(self, blocks: list[Block]) -> list[list[int]]:
        return payload.chunks(blocks, self.max_payload)

    def _send_values(self, blocks: list[Block], during: str) -> None:
        raw = payload.by_filter_body(blocks)
        url = f"{SHEETS}/{self.key}/values:batchUpdateByDataFilter"
        headers = {"Content-Type": "application/json"}
        self._call(
            lambda: self._http.request("post", url, data=raw, headers=headers).json(), during
        )

    def _resolve(self, undo: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Created columns to delete on undo, found where their markers are now (one read)."""
        if not any(DELETE_MARKED in r for r in undo):
            return undo
        meta = self._call(
            lambda: self._http.fetch_sheet_metadata(
                self.key, params={"fields": payload.MARKS_FIELDS}
            ),
            "finding the columns to remove",
        )
        return payload.resolve_deletes(undo, payload.marked_columns(meta))

    def _write_values(self, changes: Changes, guard: window.Guard | None) -> None:
        blocks, undo = payload.split(changes.blocks, changes.undo_blocks, self.max_payload)
        done: list[Block] = []
        for chunk in self._chunks(blocks):
            try:
                self._send_values([blocks[i] for i in chunk], "writing values")
            except RemoteError as err:
                raise self._rollback(err, changes, guard, done) from err
            done += [undo[i] for i in chunk]

    def _undo(
        self, changes: Changes, guard: window.Guard | None, sent: list[Block] | None = None
    ) -> list[str]:
        """Put back every value and every structure change this write made (formats, rules,
        markers, tabs, grid size). Contacts' managed cells go back to their own rows even if
        rows moved meanwhile. Returns the problems met (none: the spreadsheet is as before)."""
        problems = []
        try:
            sent = changes.undo_blocks if sent is None else sent
            undo = [b for b in sent if guard is None or b.title != guard.plan.sheet]
            if guard is not None and len(undo) < len(sent):
                undo += self._undo_contacts(guard, [b for b in sent if b not in undo])
            undo, _ = payload.split(undo, undo, self.max_payload)
            for chunk in self._chunks(undo):
                self._send_values([undo[i] for i in chunk], "restoring values")
            if changes.requests and changes.undo_requests:
                requests = self._resolve(changes.undo_requests)
                self._call(
                    lambda: self._http.batch_update(self.key, {"requests": requests}),
                    "undoing the layout changes",
                    idempotent=False,
                )
        except RemoteError as again:
            problems.append(str(again))
        return problems

    def _undo_contacts(self, guard: window.Guard, positional: list[Block]) -> list[Block]:
        """The contacts' managed cells as read: positional when rows stayed, else each row's
        old values onto wherever that row is now."""
        changes = guard.changes
        header, fresh = self._snapshot(guard, "checking rows before restoring them")
        if header != guard.expected_header or not window.moved(fresh, guard.read_ids):
            return positional
        old = window.as_read(guard.plan, guard.state, changes, guard.extent)
        pairing = window.match(fresh, guard.read_ids)
        blocks = window.realign(guard.plan, changes, old, pairing, guard.extent, self._rows)
        # header cells we changed: positional (columns did not move)
        header_undo = [b for b in positional if b.row == guard.plan.header_row]
        return blocks + [
            Block(b.title, b.row, b.column, b.values[:1], b.metadata_id) for b in header_undo
        ]

    def _rollback(
        self,
        err: RemoteError,
        changes: Changes,
        guard: window.Guard | None,
        sent: list[Block] | None = None,
    ) -> RemoteError:
        """Put back what this write already changed; say whether that worked."""
        problems = self._undo(changes, guard, sent)
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
