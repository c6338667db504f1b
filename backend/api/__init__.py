"""HTTP entry points: thin controllers over the service layer."""
