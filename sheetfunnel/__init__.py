"""sheetfunnel: score contacts and place them on the sales funnel, inside the team's spreadsheet."""

__version__ = "0.1.0"
