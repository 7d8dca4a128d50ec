"""`python -m sheetfunnel` runs the CLI."""

from .cli import main

main()
