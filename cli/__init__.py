"""The ``counterflow`` command line: a face, like ``web/``.

It parses options, calls a use case of :mod:`flows.steps` (or a package function for a
read-only listing) and prints. ``cli.app`` holds the Typer application; every module of
``cli.commands`` adds its own commands to it when imported, and ``cli.main`` imports them all.
No product package imports ``cli``.
"""
