"""Fixtures for the Google Sheets backend tests: a running emulator and a real gspread client."""

from tests.gsheets_emulator.fixtures import emulator, gclient

__all__ = ["emulator", "gclient"]
