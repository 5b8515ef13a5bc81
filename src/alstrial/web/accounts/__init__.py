"""Audit trail of user accounts: who created, activated, deactivated or promoted an account,
and when its password changed (the hash itself is never copied into the history)."""
