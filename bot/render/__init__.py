"""Rendering shared by both frontends: run results as text, the progress chart."""
