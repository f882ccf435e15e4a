"""Converters: transformations that wrap any probe's prompt to slip past filters."""
