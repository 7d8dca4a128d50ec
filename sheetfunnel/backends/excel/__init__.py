"""Excel (.xlsx/.xlsm) backend: calamine reads, surgical zip-part write-back.

What a write touches, and nothing else: the contacts sheet part (managed cells, <dimension>,
sheetfunnel's stage-colour rules), the tables on it that grow over new managed columns,
xl/styles.xml (appended dxfs / a date format, reused on later syncs), the owned tabs' parts
(sheet, drawing, chart, rels), and workbook.xml / its rels / [Content_Types].xml when a tab is
added. Every other member is copied as its original compressed bytes, in the original order.

Layout: `reader` (calamine -> SheetData), `writer` (which parts change), `sheet`/`rows`
(streaming <sheetData> rewrite), `worksheet` (the rest of a sheet part), `styles`, `tables`,
`tabs`/`chart` (owned tabs), `package`/`packedit`/`zipcopy` (the zip), `safesave` (locks,
fingerprint, temp file, backup, atomic replace).

Backups: the previous version is kept as `.sheetfunnel-backups/<name>.<UTC time>.xlsx` beside
the workbook (a hard link to the old file where possible), the newest 5 per workbook.
"""

from .backend import ExcelBackend

__all__ = ["ExcelBackend"]
