"""Point an unchanged gspread client at the emulator: the library's own endpoint adapter."""

from sheetfunnel.backends.gsheets.endpoint import GOOGLE_HOSTS, mount
from sheetfunnel.backends.gsheets.endpoint import EndpointAdapter as EmulatorAdapter

__all__ = ["GOOGLE_HOSTS", "EmulatorAdapter", "mount"]
