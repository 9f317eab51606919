"""Moving a shop's data in and out of the OMS (``oms import``, ``oms export``, ``/imports``).

    files.py     a file's bytes as rows: encodings, CSV and JSON Lines, byte ranges, formula-cell escaping
    records.py   what a format makes of rows: entries (one record, its natural key, its rows) or bad ones
    formats.py   the registry: a format name to its reader, the header check, chunks between records
    cells.py     a record from a row's cells, its errors naming the file's columns
    shopify.py   Shopify's CSV exports (products, inventory, customers, orders)
    oms.py       this OMS's own formats: exactly what ``oms export`` writes, and their writers

Pure: no boto3 here. The importer (``shared.services.imports``) writes entries; the exporter
(``shared.services.exports``) reads the tables and hands records to the oms writers.
"""
