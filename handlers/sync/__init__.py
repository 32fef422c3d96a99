"""Map sync from chat: the `sync` and `changes` commands and their answers."""
