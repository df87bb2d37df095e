"""The number keys of the screens."""

SCREEN_ORDER = (("1", "dashboard"), ("2", "orders"), ("3", "stock"), ("4", "plan"), ("5", "close"),
                ("6", "forecast"), ("7", "imports"))
