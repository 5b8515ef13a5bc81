"""Natural-history model, trial designs and simulation engines (no Django).

Entry points (see ``docs/simulation.md``):

- :func:`alstrial.simulation.designs.load_design`: a design from ``designs/`` or a TOML file;
- :class:`alstrial.simulation.engines.Simulation`: ``Simulation(design, ...).run(trials, seed)``;
- :func:`alstrial.simulation.power.power_curve`, :func:`~alstrial.simulation.power.type_one_error`;
- :func:`alstrial.simulation.plots.plot_power_curve` (a matplotlib ``Figure``);
- :func:`alstrial.simulation.edland.edland_power`: the closed form for the linear model.
"""
