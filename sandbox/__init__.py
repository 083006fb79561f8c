"""Everything simulated, in one labelled room: nothing here reaches a real person or platform.

- :mod:`sandbox.scenario`: the demo's generated intelligence (reports along two routes);
- :mod:`sandbox.platform`: simulated platform metrics, tips and follow-up reports (pure);
- :mod:`sandbox.feedback`: those simulations written into a store, labelled simulated;
- :mod:`sandbox.fakegraph`: a fake Graph API on loopback HTTP for the demo and the tests.

Only the demo flow, the command line, the tests and the benches import this package; no
product package does.
"""
