"""Discovery scanners: find AI assets and their risks in files; they return results and never touch the store, network or console."""
