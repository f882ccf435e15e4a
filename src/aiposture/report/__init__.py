"""Output writers behind one interface (STYLE.md rule 6): one writer per format,
looked up by name in `registry.WRITERS`; none is specific to a framework."""
