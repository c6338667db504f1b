"""Server-side reading of barcodes and GS1 data. Free of web-framework imports."""
