"""The design simulator page: power curves of a trial design for statisticians (issue 7.5)."""
