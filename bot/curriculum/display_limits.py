"""Discord's display limits, applied to content where it will be shown.

Content is validated against these so a lesson never fails to render in Discord.
"""

EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELD_NAME = 256
EMBED_FIELD_VALUE = 1024
EMBED_TOTAL = 6000
BUTTON_LABEL = 80
MESSAGE_CONTENT = 2000
