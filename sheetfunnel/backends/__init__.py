"""Spreadsheet backends: the only code that touches a workbook or a Google Sheet."""
