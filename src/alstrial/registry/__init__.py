"""Natural-history registries in PRO-ACT format: reading (proact) and synthesis (synth)."""
