"""discord.py extensions, one per feature; thin: they translate and call the core."""
