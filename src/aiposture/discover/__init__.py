"""Discovery scanners: find AI assets and their risks in files. They return results and
never touch the store, the network or the console."""
