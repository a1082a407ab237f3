"""The article's table, its calculation, and the lab's management commands."""
