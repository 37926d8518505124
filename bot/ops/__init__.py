"""Operating the bot: make run's launcher, health checks, database backups and restores."""
