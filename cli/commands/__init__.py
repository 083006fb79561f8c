"""The command modules; each adds its commands to :data:`cli.app.app` when imported."""
