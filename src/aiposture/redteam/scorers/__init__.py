"""Scorers: decide whether an attempt got through, and say why."""
