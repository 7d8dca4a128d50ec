"""Excel (.xlsx/.xlsm) backend: calamine reads, surgical zip-part write-back.

What a write touches, and nothing else: the contacts sheet part (managed cells, <dimension>,
sheetfunnel's stage-colour rules), the key's table when it grows over new managed columns,
xl/styles.xml (appended dxfs / a date format, reused on later syncs), the owned tabs' parts
(sheet, drawing, chart, rels), workbook.xml (markers; a tab added, renamed or hidden), and its
rels / [Content_Types].xml when a part is added. Every other member is copied as its original
compressed bytes, in the original order.

Ownership is marked, never guessed: `markers` reads and writes the hidden defined names
(`_sheetfunnel_col_<field>`, `_sheetfunnel_tab_<role>`) that say which columns and tabs are
sheetfunnel's; nothing else is ever rewritten, whatever its header or title.

Layout: `reader` (calamine -> SheetData), `block` (which rows and columns are contacts: the
key's table, never its totals row), `markers`, `writer` (which parts change), `placement`
(where each managed column goes), `sheet`/`rows` (streaming <sheetData> rewrite), `worksheet`
(the rest of a sheet part), `styles`, `tables`, `tabs`/`chart` (owned tabs), `package`/
`packedit`/`zipcopy` (the zip), `safesave` (locks, fingerprint, temp file, backup, atomic
replace).

Backups: the previous version is kept as `.sheetfunnel-backups/<name>.<UTC time>.xlsx` beside
the workbook (a hard link to the old file where possible), the newest 5 per workbook.
"""

from .backend import ExcelBackend

__all__ = ["ExcelBackend"]
