"""The WeChat official account itself, below both rooms that talk to it (``bot/`` receives, ``notify/``
sends): the account's settings, the API client with its one shared access token, WeChat's message
rules (template field types, what the phone shows, the 48-hour customer-message window) and the
template layouts of each message kind.

Why a room of its own: WeChat invalidates an access token when another is fetched, so every process
must share one token through one client; and the simulator (in ``bot/``) must enforce the same
template rules the sender (in ``notify/``) checks against. Neither may import the other, so what
both need lives here and imports only ``court/``.
"""
