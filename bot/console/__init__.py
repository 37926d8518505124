"""The terminal frontend: every feature of the core, typed as in Discord's chat box."""
