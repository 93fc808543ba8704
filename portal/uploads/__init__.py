"""Files people upload (message attachments, later activity evidence): checked by content, kept
outside `static/` under random names, and served only after the caller's access check."""
