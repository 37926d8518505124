"""The learning rules: plain asyncio over storage, no Discord (frontends translate)."""
