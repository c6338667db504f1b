"""Domain language: commands, move lines and the errors the rules raise. No HTTP, no SQL."""
