"""CSV import and export of master data and opening balances.

A file is read and checked whole — every bad cell reported with its line, column and reason —
and written in one transaction only when nothing is wrong. Kinds: items, barcodes, locations,
suppliers, customers and opening balances (which post through the ledger as one command).

    formats    the columns of each kind (shared by import and export)
    reading    bytes to rows: encoding, delimiter, header
    cells      one cell to a value: numbers, dates, yes/no, vocabularies
    report     RowError and InvalidCsv, the complete report of a refused file
    run        import_csv: check everything, then write in one transaction
    items, barcodes, locations, parties, opening   the checks and writes of each kind
    exporting  export_csv: the same columns, streamed

The package itself imports nothing, so the command line stays quick to start.
"""
