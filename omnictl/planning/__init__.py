"""Production planning: orders from demand, materials, priority, calendars, scheduling."""
