"""alstrial: run and analyse trials of autologous MSC therapy in ALS, from harvest to p-value."""

__version__ = "0.1.0"
