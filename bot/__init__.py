"""asyncio-tutor: a Discord bot that teaches Python's asyncio."""
