"""One module per CLI subcommand, each exposing a click `command`; see hookledger.faces.cli."""
