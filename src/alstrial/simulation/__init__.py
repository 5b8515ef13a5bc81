"""Natural-history model, trial designs and simulation engines (no Django)."""
