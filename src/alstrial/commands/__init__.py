"""The `alstrial` sub-commands, one module per area; each has ``register(app)``.

Heavy imports (Django, pandas, statsmodels) stay inside the command functions so that
``alstrial --help`` and ``alstrial alsfrs`` start fast.
"""
