"""A small, stateful, local Google Sheets API v4 emulator (plus Drive files and /token).

Proved faithful by replaying every recorded real exchange in ../shared/fixtures/gsheets-cassettes
(tests/test_emulator_cassettes.py). Use it with the real, unchanged gspread client:

    emu = Emulator().start()
    client = gspread.Client(auth=Credentials(token="test-token"))
    mount(client.http_client.session, emu.url)   # sheets/www.googleapis.com -> 127.0.0.1
    emu.fail_next(429, count=2); emu.hang_next(5.0)   # faults for the next requests
    emu.before_next(action, path_contains=":batchUpdate")  # another client's edit lands first
    emu.apply(key, requests)                          # a batchUpdate from another client
    emu.api_calls()                                   # (method, path, bytes, status, seconds)
    emu.stop()

Modules: server (HTTP routing, auth, faults, log), auth (/token: service-account JWTs),
state (the model), a1 (ranges), values (cell input/rendering, colours), values_api,
sheets_get (spreadsheets.get + field masks via fields), batch/batch_objects (batchUpdate),
timing (the write window, from the request log), scenario (seeding, plans).
values:batchUpdateByDataFilter (a1Range and developer-metadata filters) has no recording to
replay: it answers like values:batchUpdate. Column widths (updateDimensionProperties pixelSize,
read back as columnMetadata.pixelSize, moving with their column), chart moves
(updateEmbeddedObjectPosition) and chart specs (stored as sent, no defaults added) have no
recording either.
Not emulated: formulas beyond arithmetic, protected ranges, filters, pivots, merges, chart
ranges following moved cells, Drive beyond create/get/delete.
"""

from .client import EmulatorAdapter, mount
from .server import Emulator, Fault, Logged

__all__ = ["Emulator", "EmulatorAdapter", "Fault", "Logged", "mount"]
