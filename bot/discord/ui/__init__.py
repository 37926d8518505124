"""discord.ui pieces: embeds, persistent buttons (custom ids carry their state), modals."""
