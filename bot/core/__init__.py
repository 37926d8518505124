"""The learning core: every rule and service a frontend can call, assembled in Tutor."""
