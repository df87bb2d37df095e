"""The number keys of the screens (1 dashboard, 5 close and 6 forecast come with their screens)."""

SCREEN_ORDER = (("2", "orders"), ("3", "stock"), ("4", "plan"), ("7", "imports"))
