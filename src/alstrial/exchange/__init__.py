"""Data exchange: CDISC SDTM, ODM, Dataset-JSON and data dictionaries."""
