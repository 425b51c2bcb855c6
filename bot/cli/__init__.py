"""`followup` and its subcommands: each turns a command line into calls of the core."""
