"""Output formats for findings and scans (json, csv, table)."""
