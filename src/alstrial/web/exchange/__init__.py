"""The database side of the exchange formats: trial data extraction and the audit trail."""
