"""The web chat: an aiohttp front end on the same engine (see server.py)."""
