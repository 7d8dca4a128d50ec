"""Google Sheets backend: gspread + google-auth, a constant number of requests per sync."""

from .auth import make_client, spreadsheet_key
from .backend import GoogleSheetsBackend
from .retry import RetryPolicy

__all__ = ["GoogleSheetsBackend", "RetryPolicy", "make_client", "spreadsheet_key"]
