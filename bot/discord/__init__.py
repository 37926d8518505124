"""The Discord frontend: the client, its cogs (commands and buttons) and their UI."""
