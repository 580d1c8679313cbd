"""The `editwatch` command line."""
