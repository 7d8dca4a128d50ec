"""Excel (.xlsx/.xlsm) backend: calamine reads, surgical zip-part write-back."""

from .backend import ExcelBackend

__all__ = ["ExcelBackend"]
