"""A small, stateful, local Google Sheets API v4 emulator (plus Drive files and /token).

Proved faithful by replaying the recorded real exchanges in ../shared/fixtures/gsheets-cassettes
(see test_cassettes.py). Reach it with the real gspread client through `mount(client, emu)`.
"""

from .client import EmulatorAdapter, mount
from .server import Emulator, Fault, Logged

__all__ = ["Emulator", "EmulatorAdapter", "Fault", "Logged", "mount"]
