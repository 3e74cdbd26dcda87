"""The `edgesim` subcommands, one module each; edgesim/cli.py lists them in COMMANDS.

A command module has ``register(subparsers)``, which adds its parser (help
text and examples) and sets ``func(args) -> exit code``; it imports heavy
dependencies inside ``func`` so that ``edgesim --help`` stays fast.
"""
