"""The number keys of the screens (1 dashboard and 5 close come with their screens)."""

SCREEN_ORDER = (("2", "orders"), ("3", "stock"), ("4", "plan"), ("6", "forecast"), ("7", "imports"))
