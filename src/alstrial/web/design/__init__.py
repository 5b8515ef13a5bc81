"""The design simulator page: power curves of a trial design for statisticians."""
