"""Check-in pages for members and staff."""
