"""Import and export of records: spreadsheets in, spreadsheets out, through the record service.

sources      open a CSV or .xlsx file (by its content, not its name) as a header and rows
mapping      which column fills which field (guessed from names and labels, editable)
convert      a cell's text as the value a field takes (options by label, links by title…)
links        link cells (a title, an auto-number, #id, a username) resolved to record ids
pipeline     dry run and batched, all-or-nothing writes, upsert by a key, progress
report       the bad rows as a file to fix and upload again
cells        formula-injection neutralising of exported text (and undoing it on import)
export       the records of a list as the user sees them, page by page
writers      CSV and .xlsx writers that stream with bounded memory
jobs         imports started from the web, run in a thread, their state kept on disk
"""
