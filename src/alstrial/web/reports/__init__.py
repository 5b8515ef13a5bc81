"""The trial report from the web: a button that builds it, its downloads."""
